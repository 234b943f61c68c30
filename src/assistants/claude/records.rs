//! Claude Code: transcript lines (`~/.claude/projects/<dir>/<session-uuid>.jsonl`) and hook payloads.
//!
//! A stop is an `assistant` line with `isApiErrorMessage: true` (model `<synthetic>`), carrying
//! `error`, `apiErrorStatus` and `errorDetails`; or a `StopFailure` hook with `error`,
//! `last_assistant_message` and `error_details`. Subagent records (`isSidechain`, `agent_id`) say
//! nothing about the session itself.

use std::path::{Path, PathBuf};

use crate::tz::Tz;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::classify::classify;
use crate::classify::{ClassifyContext, Evidence, classify_text};
use crate::formats::{FormatError, ParsedRecord, instant, parse_object, stopped, str_at, text_at};
use crate::model::{Signal, StopReason};

/// Read one transcript line. Garbage is an error; lines that say nothing about the session's state
/// (attachments, snapshots, subagent lines, tool results) have `signal: None`.
pub fn parse_transcript_line(line: &str, tz: Tz) -> Result<ParsedRecord, FormatError> {
    let map = parse_object(line)?;
    let v = Value::Object(map);
    let kind = str_at(&v, "type").ok_or(FormatError::Missing("type"))?;
    let at = instant(v.get("timestamp"))?;
    let mut rec = ParsedRecord {
        session_id: str_at(&v, "sessionId").map(str::to_owned),
        cwd: str_at(&v, "cwd").map(PathBuf::from),
        at,
        ..ParsedRecord::default()
    };
    if is_subagent(&v) {
        return Ok(rec);
    }
    rec.signal = match kind {
        "assistant" => assistant_signal(&v, at, tz)?,
        "user" => user_signal(&v),
        "system" => system_signal(&v, at, tz),
        _ => None,
    };
    if kind == "assistant" {
        rec.context_use = v.get("message").and_then(super::usage::from_message);
    }
    Ok(rec)
}

fn is_subagent(v: &Value) -> bool {
    v.get("isSidechain").and_then(Value::as_bool) == Some(true)
        || ["agent_id", "agentId"]
            .iter()
            .any(|k| v.get(*k).is_some_and(|a| !a.is_null()))
}

/// The text of a message's `content`: a string, or the `text` of its text blocks.
fn content_text(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn has_content(message: &Value) -> bool {
    match message.get("content") {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(blocks)) => !blocks.is_empty(),
        _ => false,
    }
}

fn assistant_signal(
    v: &Value,
    at: Option<DateTime<Utc>>,
    tz: Tz,
) -> Result<Option<Signal>, FormatError> {
    let message = v.get("message").unwrap_or(&Value::Null);
    let text = content_text(message);
    let api_error = v.get("isApiErrorMessage").and_then(Value::as_bool) == Some(true);
    let synthetic = str_at(message, "model") == Some("<synthetic>");
    if !api_error && !synthetic {
        return Ok(has_content(message).then_some(Signal::Progress));
    }
    let ctx = ClassifyContext::new(at.ok_or(FormatError::Missing("timestamp"))?, tz);
    if !api_error {
        // A synthetic line without the marker (older versions): only a strict stop message counts;
        // others ("No response requested.") are neither progress nor a stop.
        return Ok(classify_text(&text, &ctx).map(|r| stopped(r, &text)));
    }
    let code = match v.get("error") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(obj @ Value::Object(_)) => str_at(obj, "type"),
        _ => None,
    };
    let e = Evidence {
        http_status: v
            .get("apiErrorStatus")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok()),
        details: text_at(v, "errorDetails"),
        ..Evidence::structured(crate::assistants::claude::ASSISTANT, code, text.clone())
    };
    let evidence = if text.is_empty() {
        code.unwrap_or("API error")
    } else {
        &text
    };
    Ok(Some(stopped(classify(&e, &ctx), evidence)))
}

fn user_signal(v: &Value) -> Option<Signal> {
    if v.get("isCompactSummary").and_then(Value::as_bool) == Some(true) {
        return Some(Signal::Progress);
    }
    let text = content_text(v.get("message").unwrap_or(&Value::Null));
    // Esc during a turn: the human is at the keyboard and stopped it on purpose.
    text.trim_start()
        .starts_with("[Request interrupted by user")
        .then(|| stopped(StopReason::UserExit, text.trim()))
}

fn system_signal(v: &Value, at: Option<DateTime<Utc>>, tz: Tz) -> Option<Signal> {
    match str_at(v, "subtype")? {
        "informational" => {
            let text = str_at(v, "content").unwrap_or_default();
            if super::native::fired(text) {
                return Some(Signal::Progress);
            }
            let ctx = ClassifyContext::new(at.unwrap_or_else(Utc::now), tz);
            super::native::read(text, &ctx).map(Signal::SelfContinue)
        }
        // Compaction means the session goes on.
        "compact_boundary" => Some(Signal::Progress),
        "api_retry" => {
            let delay = v.get("retry_delay_ms").and_then(Value::as_u64);
            let next = at.zip(delay).and_then(|(at, ms)| {
                at.checked_add_signed(TimeDelta::milliseconds(i64::try_from(ms).ok()?))
            });
            Some(Signal::Retrying { next })
        }
        _ => None,
    }
}

/// Read a hook payload (stdin of a Claude Code hook command). Hooks carry no timestamp: `ctx.now` is
/// when the payload was received, and reset times count from it.
pub fn parse_hook_payload(v: &Value, ctx: &ClassifyContext) -> ParsedRecord {
    let mut rec = ParsedRecord {
        session_id: str_at(v, "session_id").map(str::to_owned),
        cwd: str_at(v, "cwd").map(PathBuf::from),
        transcript: str_at(v, "transcript_path").map(PathBuf::from),
        ..ParsedRecord::default()
    };
    if is_subagent(v) {
        return rec;
    }
    let event = str_at(v, "hook_event_name").unwrap_or("");
    let last = str_at(v, "last_assistant_message").unwrap_or("");
    rec.signal = match event {
        "StopFailure" => {
            let code = str_at(v, "error");
            let e = Evidence {
                details: text_at(v, "error_details"),
                ..Evidence::structured(crate::assistants::claude::ASSISTANT, code, last)
            };
            let evidence = if last.is_empty() {
                code.unwrap_or(event)
            } else {
                last
            };
            Some(stopped(classify(&e, ctx), evidence))
        }
        "Stop" => Some(stopped(
            StopReason::Completed,
            if last.is_empty() { event } else { last },
        )),
        "SessionEnd" => match str_at(v, "reason") {
            Some(reason @ ("prompt_input_exit" | "logout" | "clear")) => Some(stopped(
                StopReason::UserExit,
                &format!("SessionEnd: {reason}"),
            )),
            // `other`: the end of a headless `-p` run, which the turn's own stop already reported.
            _ => None,
        },
        "SessionStart" => match str_at(v, "source") {
            Some("resume") => Some(Signal::Started { resumed: true }),
            Some("compact") => Some(Signal::Progress),
            _ => Some(Signal::Started { resumed: false }),
        },
        "UserPromptSubmit" | "PreToolUse" | "PostToolUse" => Some(Signal::Progress),
        "Notification" => super::native::from_notification(
            str_at(v, "notification_type").unwrap_or_default(),
            str_at(v, "message").unwrap_or_default(),
        ),
        _ => None,
    };
    rec
}

/// The session id a transcript path names: its file stem, when that is a UUID.
pub fn transcript_path_session_id(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    uuid::Uuid::parse_str(stem).ok()?;
    Some(stem.to_owned())
}

/// Claude Code's truncation length for project directory names.
const PROJECT_DIR_MAX: usize = 200;

/// The `~/.claude/projects/` directory name for a cwd: every character that is not an ASCII letter or
/// digit becomes `-`, counted in UTF-16 units as Claude Code (JavaScript) does, so `/home/u/my_app` →
/// `-home-u-my-app`. Claude Code cuts names longer than 200 characters and appends a hash this
/// function cannot reproduce; match those with [`project_dir_matches`].
pub fn project_dir_name(cwd: &Path) -> String {
    cwd.to_string_lossy()
        .encode_utf16()
        .map(|u| match u8::try_from(u) {
            Ok(b) if b.is_ascii_alphanumeric() => char::from(b),
            _ => '-',
        })
        .collect()
}

/// Whether `dir_name` (an entry of `~/.claude/projects/`) is the project directory of `cwd`.
pub fn project_dir_matches(dir_name: &str, cwd: &Path) -> bool {
    let name = project_dir_name(cwd);
    if name.len() <= PROJECT_DIR_MAX {
        dir_name == name
    } else {
        dir_name.len() > PROJECT_DIR_MAX + 1
            && dir_name.starts_with(&name[..PROJECT_DIR_MAX])
            && dir_name.as_bytes()[PROJECT_DIR_MAX] == b'-'
    }
}

#[cfg(test)]
mod tests;

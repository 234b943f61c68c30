//! Gemini CLI: chat lines (`$GEMINI_CLI_HOME/.gemini/tmp/<project>/chats/session-<YYYY-MM-DDTHH-MM>-<id8>.jsonl`).
//!
//! The first line is a header (`sessionId`, `projectHash`, `startTime`, `kind`); then message lines (`id`,
//! `timestamp`, `type` ∈ user | gemini | info | warning | error, `content`) and `{"$set": {…}}` updates of the
//! header or of the whole message list. Lines carry no session id and no cwd: the source reads them from the
//! header and from the project folder's `.project_root` ([`super::source`]). A `gemini` line with
//! `toolCalls` means the turn goes on; one without ends it. A message id written again replaces the earlier
//! line (tokens and tool calls are added that way).
//!
//! A failed turn is rolled back (a `$set.messages` without the failed prompt); only the interactive client
//! then records the error it showed, as an `error` line (`[API Error: You have exhausted your daily quota on
//! this model.]` and a hint). A headless (`-p`) run records nothing about its failure.

use std::path::{Path, PathBuf};

use crate::tz::Tz;
use serde_json::Value;

use super::classify::{Fails, classify, evidence};
use crate::classify::ClassifyContext;
use crate::formats::{FormatError, ParsedRecord, instant, parse_object, stopped, str_at};
use crate::model::{Signal, StopReason};

/// Read one chat line. Garbage is an error; lines that say nothing about the turn have `signal: None`.
pub fn parse_chat_line(line: &str, tz: Tz) -> Result<ParsedRecord, FormatError> {
    let v = Value::Object(parse_object(line)?);
    if v.get("$set").is_some() || v.get("$rewindTo").is_some() {
        return Ok(ParsedRecord::default());
    }
    if let Some(session) = str_at(&v, "sessionId") {
        return Ok(ParsedRecord {
            session_id: Some(session.to_owned()),
            at: instant(v.get("startTime"))?,
            ..ParsedRecord::default()
        });
    }
    let kind = str_at(&v, "type").ok_or(FormatError::Missing("type"))?;
    let at = instant(v.get("timestamp"))?;
    let ctx = ClassifyContext::new(at.unwrap_or_else(chrono::Utc::now), tz);
    let signal = match kind {
        "gemini" if calls_tools(&v) => Some(Signal::Progress),
        "gemini" => Some(stopped(StopReason::Completed, "")),
        "error" => Some(failure(&content_text(&v), &ctx)),
        _ => None,
    };
    Ok(ParsedRecord {
        at,
        signal,
        context_use: (kind == "gemini")
            .then(|| super::usage::from_gemini_line(&v))
            .flatten(),
        ..ParsedRecord::default()
    })
}

/// What a failure it showed means: a stop, or a retry it makes by itself.
pub fn failure(text: &str, ctx: &ClassifyContext) -> Signal {
    let reason = classify(&evidence(None, text), ctx);
    match Fails::after(text) {
        Fails::Later => Signal::Retrying { next: None },
        Fails::Now => stopped(reason, text),
    }
}

fn calls_tools(v: &Value) -> bool {
    v.get("toolCalls")
        .and_then(Value::as_array)
        .is_some_and(|calls| !calls.is_empty())
}

/// A message's `content`: a string, or the texts of its parts.
fn content_text(v: &Value) -> String {
    match v.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The prompt a failed turn rolled back: the last `user` line when a later `$set.messages` no longer holds
/// it. Gemini CLI resends the list it keeps, so a resume must send this prompt again.
pub fn rolled_back_prompt(chat: &str) -> Option<String> {
    let mut last_user: Option<(String, String)> = None;
    let mut dropped = false;
    for line in chat.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(messages) = v.pointer("/$set/messages").and_then(Value::as_array) {
            if let Some((id, _)) = &last_user {
                dropped = !messages.iter().any(|m| str_at(m, "id") == Some(id));
            }
        } else if str_at(&v, "type") == Some("user") {
            let id = str_at(&v, "id").unwrap_or_default().to_owned();
            last_user = Some((id, content_text(&v)));
            dropped = false;
        } else if str_at(&v, "type") == Some("gemini") {
            last_user = None;
        }
    }
    last_user.filter(|_| dropped).map(|(_, text)| text)
}

/// Whether `path` is a chat file: `session-….jsonl` in a `chats` folder.
pub fn is_chat_path(path: &Path) -> bool {
    path.parent().and_then(Path::file_name) == Some("chats".as_ref())
        && path.extension() == Some("jsonl".as_ref())
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("session-"))
}

/// The session named in a chat file's header (its first line).
pub fn header_session(first_line: &str) -> Option<String> {
    let v: Value = serde_json::from_str(first_line).ok()?;
    str_at(&v, "sessionId").map(str::to_owned)
}

/// The work dir a project folder (`tmp/<project>`) belongs to: its `.project_root` file.
pub fn project_root(text: &str) -> Option<PathBuf> {
    let root = text.trim();
    root.starts_with('/').then(|| PathBuf::from(root))
}

#[cfg(test)]
mod tests;

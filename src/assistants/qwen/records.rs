//! Qwen Code: chat lines (`$QWEN_HOME/projects/<cwd, non-alphanumerics → '-'>/chats/<session-uuid>.jsonl`).
//!
//! Every line carries `uuid`, `parentUuid`, `sessionId`, `timestamp`, `cwd` and `type`. A finished turn ends
//! with an `assistant` line whose `message.parts` hold no `functionCall`. A failed request is a `system` line
//! with `subtype: "ui_telemetry"` and `systemPayload.uiEvent["event.name"] == "qwen-code.api_error"`
//! (`status_code`, `error_message`), one per attempt of Qwen's own retry loop; a successful one is
//! `qwen-code.api_response`. Lines of its side agents (`subagent_name`, e.g. the memory extractor that runs
//! after a good turn) say nothing about the session's turn. The failed prompt stays in the file.

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
    let kind = str_at(&v, "type").ok_or(FormatError::Missing("type"))?;
    let at = instant(v.get("timestamp"))?;
    let mut rec = ParsedRecord {
        session_id: str_at(&v, "sessionId").map(str::to_owned),
        cwd: str_at(&v, "cwd").map(PathBuf::from),
        at,
        ..ParsedRecord::default()
    };
    rec.signal = match kind {
        "assistant" => Some(assistant_signal(&v)),
        "system" if str_at(&v, "subtype") == Some("ui_telemetry") => {
            let ctx = ClassifyContext::new(at.unwrap_or_else(chrono::Utc::now), tz);
            telemetry_signal(&v, &ctx)
        }
        _ => None,
    };
    if kind == "assistant" {
        rec.context_use = super::usage::from_assistant_line(&v);
    }
    Ok(rec)
}

/// A model answer: a turn that calls tools goes on; one that does not is finished.
fn assistant_signal(v: &Value) -> Signal {
    let calls_tools = v
        .pointer("/message/parts")
        .and_then(Value::as_array)
        .is_some_and(|parts| parts.iter().any(|p| p.get("functionCall").is_some()));
    if calls_tools {
        Signal::Progress
    } else {
        stopped(StopReason::Completed, "")
    }
}

fn telemetry_signal(v: &Value, ctx: &ClassifyContext) -> Option<Signal> {
    let event = v.pointer("/systemPayload/uiEvent")?;
    if event.get("subagent_name").is_some_and(|s| !s.is_null()) {
        return None;
    }
    match str_at(event, "event.name")? {
        "qwen-code.api_response" => Some(Signal::Progress),
        "qwen-code.api_error" => {
            let e = evidence(
                event.get("status_code").and_then(Value::as_u64),
                str_at(event, "error_type"),
                str_at(event, "error_message").unwrap_or_default(),
            );
            let reason = classify(&e, ctx);
            Some(match Fails::after(&e.text, &reason) {
                // Qwen retries these itself (its own loop); leave it alone meanwhile.
                Fails::Later => Signal::Retrying { next: None },
                Fails::Now => stopped(reason, &e.text),
            })
        }
        _ => None,
    }
}

/// The session a chat file belongs to: its name, when it sits in a `chats` folder.
pub fn chat_path_session_id(path: &Path) -> Option<String> {
    if path.parent()?.file_name()? != "chats" || path.extension()? != "jsonl" {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    (!stem.is_empty()).then(|| stem.to_owned())
}

#[cfg(test)]
mod tests;

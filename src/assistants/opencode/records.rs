//! opencode: assistant message JSON (from `GET /session/:id/message`, the `message` table, or
//! `message.updated` events) and `session.status` values.
//!
//! A finished assistant message has `time.completed`; it failed when it carries `error`
//! (`{name, data: {message, statusCode, responseHeaders, responseBody}}`), and ended its turn
//! normally with `finish: "stop"`. Completed with neither is an abort. No `time.completed` means
//! still in flight, or the server died mid-turn; the caller tells them apart.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use super::classify::classify;
use crate::classify::{ClassifyContext, Evidence};
use crate::formats::{instant, stopped, str_at, text_at};
use crate::model::{Signal, StopReason};

/// What an opencode assistant message says about its session; `None` for user messages and for an
/// assistant message still in flight. Accepts the message info itself or `{info, parts}`.
pub fn classify_message(msg: &Value, ctx: &ClassifyContext) -> Option<Signal> {
    let info = msg.get("info").unwrap_or(msg);
    if str_at(info, "role") != Some("assistant") {
        return None;
    }
    if let Some(err) = info.get("error").filter(|e| !e.is_null()) {
        let e = error_evidence(err, ctx.now);
        let evidence = if e.text.is_empty() {
            e.error_code.clone().unwrap_or_default()
        } else {
            e.text.clone()
        };
        return Some(stopped(classify(&e, ctx), &evidence));
    }
    let completed = info.get("time").and_then(|t| t.get("completed"));
    match str_at(info, "finish") {
        // A compaction summary: opencode goes on from it.
        Some(_) if info.get("summary").and_then(Value::as_bool) == Some(true) => {
            Some(Signal::Progress)
        }
        Some("stop" | "end_turn") => Some(stopped(StopReason::Completed, "finish: stop")),
        // The loop goes on after tool calls (and after an unreported reason).
        Some("tool-calls" | "tool_calls" | "unknown") => Some(Signal::Progress),
        // Output-length cap, content filter: the turn ended without finishing its work.
        Some(other) => Some(stopped(StopReason::Unknown, &format!("finish: {other}"))),
        None if completed.is_some_and(|c| !c.is_null()) => Some(stopped(
            StopReason::UserExit,
            "completed without finish: aborted",
        )),
        None => None,
    }
}

/// Evidence from an opencode error object (`MessageV2` named error).
pub fn error_evidence(err: &Value, now: DateTime<Utc>) -> Evidence {
    let data = err.get("data").unwrap_or(&Value::Null);
    let text = str_at(data, "message")
        .or_else(|| str_at(err, "message"))
        .unwrap_or("");
    Evidence {
        http_status: data
            .get("statusCode")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok()),
        details: text_at(data, "responseBody"),
        retry_after_secs: data
            .get("responseHeaders")
            .and_then(Value::as_object)
            .and_then(|h| retry_after_secs(h, now)),
        ..Evidence::structured(
            crate::assistants::opencode::ASSISTANT,
            str_at(err, "name"),
            text,
        )
    }
}

/// The delay response headers ask for, as opencode honours them: `retry-after-ms`, then
/// `retry-after` as seconds or as an HTTP date (counted from `now`). Rounded up to whole seconds.
pub fn retry_after_secs(headers: &Map<String, Value>, now: DateTime<Utc>) -> Option<u64> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str().map(str::trim))
    };
    let secs = |x: f64| (x.is_finite() && x >= 0.0).then(|| x.ceil() as u64);
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return secs(ms / 1000.0);
    }
    let value = header("retry-after")?;
    if let Ok(s) = value.parse::<f64>() {
        return secs(s);
    }
    let date = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    let ms = (date - now).num_milliseconds().max(0);
    secs(ms as f64 / 1000.0)
}

/// A session's state as `GET /session/status` and `session.status` events report it.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionStatus {
    Idle,
    Busy,
    /// opencode is retrying a failed request itself; leave it alone until `next`.
    Retry {
        attempt: u32,
        message: String,
        next: Option<DateTime<Utc>>,
    },
}

/// Read `{type: idle|busy|retry, attempt, message, next: epoch-ms}`.
pub fn parse_session_status(v: &Value) -> Option<SessionStatus> {
    match str_at(v, "type")? {
        "idle" => Some(SessionStatus::Idle),
        "busy" => Some(SessionStatus::Busy),
        "retry" => Some(SessionStatus::Retry {
            attempt: v
                .get("attempt")
                .and_then(Value::as_u64)
                .and_then(|a| u32::try_from(a).ok())
                .unwrap_or(0),
            message: str_at(v, "message").unwrap_or("").to_owned(),
            next: v
                .get("next")
                .and_then(Value::as_i64)
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
                .or_else(|| instant(v.get("next")).ok().flatten()),
        }),
        _ => None,
    }
}

/// Every session in a `GET /session/status` answer (`{"ses_…": {type, …}}`), skipping unreadable ones.
pub fn parse_status_map(v: &Value) -> Vec<(String, SessionStatus)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(id, s)| Some((id.clone(), parse_session_status(s)?)))
                .collect()
        })
        .unwrap_or_default()
}

impl SessionStatus {
    /// Busy is progress, retry is the assistant's own retry; idle alone says nothing (the last
    /// assistant message tells how the turn ended).
    pub fn signal(&self) -> Option<Signal> {
        match self {
            SessionStatus::Idle => None,
            SessionStatus::Busy => Some(Signal::Progress),
            SessionStatus::Retry { next, .. } => Some(Signal::Retrying { next: *next }),
        }
    }
}

#[cfg(test)]
mod tests;

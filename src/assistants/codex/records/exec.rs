//! `codex exec --json` stdout: `thread.started{thread_id}`, `turn.started`, `item.*`,
//! `turn.completed`, `turn.failed{error.message}`, and `error{message}` ("Reconnecting... 1/5").

use serde_json::Value;

use super::super::classify::classify;
use crate::classify::{ClassifyContext, Evidence};
use crate::formats::{FormatError, parse_object, stopped, str_at};
use crate::model::{Signal, StopReason};

/// One event of `codex exec --json`.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecEvent {
    ThreadStarted {
        thread_id: String,
    },
    TurnStarted,
    /// `item.started`, `item.updated`, `item.completed`: the turn is working.
    Item,
    TurnCompleted,
    TurnFailed {
        message: String,
    },
    /// A non-fatal error line; runs that succeed print these too (reconnects).
    Error {
        message: String,
    },
    /// An event type this parser does not know.
    Other {
        kind: String,
    },
}

/// Read one line of `codex exec --json` output.
pub fn parse_exec_json_line(line: &str) -> Result<ExecEvent, FormatError> {
    let v = Value::Object(parse_object(line)?);
    let kind = str_at(&v, "type").ok_or(FormatError::Missing("type"))?;
    let message = |v: &Value| str_at(v, "message").unwrap_or("").to_owned();
    Ok(match kind {
        "thread.started" => ExecEvent::ThreadStarted {
            thread_id: str_at(&v, "thread_id")
                .ok_or(FormatError::Missing("thread_id"))?
                .to_owned(),
        },
        "turn.started" => ExecEvent::TurnStarted,
        "item.started" | "item.updated" | "item.completed" => ExecEvent::Item,
        "turn.completed" => ExecEvent::TurnCompleted,
        "turn.failed" => ExecEvent::TurnFailed {
            message: v.get("error").map(message).unwrap_or_default(),
        },
        "error" => ExecEvent::Error {
            message: message(&v),
        },
        other => ExecEvent::Other {
            kind: other.to_owned(),
        },
    })
}

impl ExecEvent {
    /// What the event says about the session. `ctx.now` is when the line was read.
    pub fn signal(&self, ctx: &ClassifyContext) -> Option<Signal> {
        match self {
            ExecEvent::ThreadStarted { .. } => Some(Signal::Started { resumed: false }),
            ExecEvent::TurnStarted | ExecEvent::Item => Some(Signal::Progress),
            ExecEvent::TurnCompleted => Some(stopped(StopReason::Completed, "turn.completed")),
            ExecEvent::TurnFailed { message } => {
                // A failed turn is a structured stop marker even though only its message survives.
                let e = Evidence::structured(
                    crate::assistants::codex::ASSISTANT,
                    None,
                    message.clone(),
                );
                let evidence = if message.is_empty() {
                    "turn.failed"
                } else {
                    message
                };
                Some(stopped(classify(&e, ctx), evidence))
            }
            ExecEvent::Error { message }
                if message.to_ascii_lowercase().starts_with("reconnecting") =>
            {
                Some(Signal::Retrying { next: None })
            }
            ExecEvent::Error { .. } | ExecEvent::Other { .. } => None,
        }
    }
}

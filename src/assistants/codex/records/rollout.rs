//! Codex rollout lines: `{timestamp, type, payload}` with `session_meta`, `response_item` and
//! `event_msg` (task_started, token_count, task_complete, turn_aborted, error, stream_error).

use std::path::PathBuf;

use crate::tz::Tz;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::super::classify::classify;
use crate::classify::{ClassifyContext, Evidence, classify_text};
use crate::formats::{FormatError, ParsedRecord, instant, parse_object, stopped, str_at, text_at};
use crate::model::{Signal, StopReason};

/// What one rollout line is, before any state is applied.
enum Line {
    Meta {
        id: Option<String>,
        cwd: Option<PathBuf>,
    },
    /// The model produced output (a message, reasoning, a tool call) or compacted the conversation.
    Progress,
    /// A turn began (the user's prompt, or a resume's): not output yet, but the turn is now open.
    TurnStarted,
    /// `None`: no rate limits on this line; `Some(None)`: limits, none exhausted.
    RateLimits(Option<Option<DateTime<Utc>>>),
    Failure(TurnError),
    Completed(Option<TurnError>),
    Aborted,
    Retrying,
    Nothing,
}

/// A turn's error as Codex records it.
#[derive(Clone, Debug, PartialEq)]
struct TurnError {
    message: String,
    kind: Option<String>,
    status: Option<u16>,
    details: Option<String>,
}

impl TurnError {
    fn from(v: &Value) -> Option<TurnError> {
        let message = str_at(v, "message").unwrap_or("").to_owned();
        let (kind, status) = match v
            .get("codex_error_info")
            .or_else(|| v.get("codexErrorInfo"))
        {
            Some(Value::String(k)) => (Some(k.clone()), None),
            Some(Value::Object(map)) => match map.iter().next() {
                Some((k, inner)) => (Some(k.clone()), http_status(inner)),
                None => (None, None),
            },
            _ => (None, None),
        };
        if message.is_empty() && kind.is_none() {
            return None;
        }
        Some(TurnError {
            message,
            kind,
            status,
            details: text_at(v, "additional_details").or_else(|| text_at(v, "additionalDetails")),
        })
    }

    fn reason(&self, ctx: &ClassifyContext, limit_resets: Option<DateTime<Utc>>) -> StopReason {
        let e = Evidence {
            http_status: self.status,
            details: self.details.clone(),
            window_resets_at: limit_resets,
            ..Evidence::structured(
                crate::assistants::codex::ASSISTANT,
                self.kind.as_deref(),
                self.message.clone(),
            )
        };
        classify(&e, ctx)
    }

    /// A stop for certain: Codex tagged it, or its text is a known stop message. Other `error` events
    /// (a tool or MCP server failing) do not end the turn.
    fn is_turn_ending(&self, ctx: &ClassifyContext) -> bool {
        self.kind.is_some() || classify_text(&self.message, ctx).is_some()
    }

    fn evidence(&self) -> &str {
        if self.message.is_empty() {
            self.kind.as_deref().unwrap_or("error")
        } else {
            &self.message
        }
    }
}

fn http_status(v: &Value) -> Option<u16> {
    ["http_status_code", "httpStatusCode"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_u64))
        .and_then(|s| u16::try_from(s).ok())
}

/// The latest reset among the exhausted (`used_percent >= 100`) windows of a `rate_limits` value.
fn exhausted_resets(limits: &Value, at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    ["primary", "secondary"]
        .iter()
        .filter_map(|k| limits.get(*k))
        .filter(|w| w.get("used_percent").and_then(Value::as_f64).unwrap_or(0.0) >= 100.0)
        .filter_map(|w| super::usage::window_resets(w, at))
        .max()
}

/// A line's time, what it is, and the context and quota use it reports (`token_count` events).
type LineRead = (Option<DateTime<Utc>>, Line, Usage);

/// What a `token_count` event says about the context window and the usage quota.
#[derive(Default)]
struct Usage {
    context: Option<crate::model::ContextUse>,
    quota: Option<crate::model::QuotaUse>,
}

fn read(line: &str) -> Result<LineRead, FormatError> {
    let v = Value::Object(parse_object(line)?);
    let kind = str_at(&v, "type").ok_or(FormatError::Missing("type"))?;
    let at = instant(v.get("timestamp"))?;
    let payload = v.get("payload").unwrap_or(&Value::Null);
    let usage = if kind == "event_msg" && str_at(payload, "type") == Some("token_count") {
        Usage {
            context: super::usage::from_token_count(payload),
            quota: payload
                .get("rate_limits")
                .and_then(|l| super::usage::from_rate_limits(l, at)),
        }
    } else {
        Usage::default()
    };
    let line = match kind {
        "session_meta" => {
            // Older rollouts nest the fields under `meta`.
            let meta = payload.get("meta").unwrap_or(payload);
            Line::Meta {
                id: str_at(meta, "id").map(str::to_owned),
                cwd: str_at(meta, "cwd").map(PathBuf::from),
            }
        }
        "response_item" => match str_at(payload, "type") {
            Some("message") if str_at(payload, "role") != Some("assistant") => Line::Nothing,
            Some(_) => Line::Progress,
            None => Line::Nothing,
        },
        "event_msg" => event(payload, at),
        _ => Line::Nothing,
    };
    Ok((at, line, usage))
}

fn event(p: &Value, at: Option<DateTime<Utc>>) -> Line {
    match str_at(p, "type").unwrap_or("") {
        "task_started" | "turn_started" => Line::TurnStarted,
        "agent_message" | "agent_reasoning" | "context_compacted" => Line::Progress,
        "token_count" => match p.get("rate_limits") {
            Some(limits) if !limits.is_null() => {
                Line::RateLimits(Some(exhausted_resets(limits, at)))
            }
            _ => Line::RateLimits(None),
        },
        "task_complete" | "turn_complete" => {
            Line::Completed(p.get("error").and_then(TurnError::from))
        }
        "turn_aborted" => match str_at(p, "reason") {
            None | Some("interrupted") => Line::Aborted,
            Some(_) => Line::Nothing,
        },
        "error" => match TurnError::from(p) {
            Some(err) if err.message.to_ascii_lowercase().starts_with("reconnecting") => {
                Line::Retrying
            }
            Some(err) => Line::Failure(err),
            None => Line::Nothing,
        },
        "stream_error" => Line::Retrying,
        _ => Line::Nothing,
    }
}

/// Read one rollout line on its own. An `error` event that ends the turn is a stop; a following bare
/// `task_complete` then reads as completed, so a tailer should prefer [`CodexRolloutState`], which
/// pairs them.
pub fn parse_rollout_line(line: &str, tz: Tz) -> Result<ParsedRecord, FormatError> {
    CodexRolloutState::new(tz).feed(line)
}

/// Feeds a rollout's lines in order, remembering what later lines need: the session id and cwd from
/// `session_meta`, the reset of the latest exhausted usage window, and an error the turn already
/// reported.
#[derive(Clone, Debug)]
pub struct CodexRolloutState {
    tz: Tz,
    pub session_id: Option<String>,
    pub cwd: Option<PathBuf>,
    /// When the latest exhausted usage window resets (cleared once no window is exhausted).
    pub limit_resets: Option<DateTime<Utc>>,
    /// A turn started and has not ended (no `task_complete` or `turn_aborted` yet). A rollout whose
    /// writer died while this holds ends in a crash.
    pub turn_open: bool,
    turn_error: Option<TurnError>,
    seen_meta: bool,
}

impl Default for CodexRolloutState {
    fn default() -> Self {
        CodexRolloutState::new(Tz::UTC)
    }
}

impl CodexRolloutState {
    /// `tz` is the Codex process's zone: its reset times ("try again at 11:46 PM") are local.
    pub fn new(tz: Tz) -> Self {
        CodexRolloutState {
            tz,
            session_id: None,
            cwd: None,
            limit_resets: None,
            turn_open: false,
            turn_error: None,
            seen_meta: false,
        }
    }

    /// Read the next line. Records carry the session id and cwd known so far.
    pub fn feed(&mut self, line: &str) -> Result<ParsedRecord, FormatError> {
        let (at, line, usage) = read(line)?;
        let mut rate_limit_resets = None;
        let signal = match line {
            Line::Meta { id, cwd } => {
                self.session_id = id.or(self.session_id.take());
                self.cwd = cwd.or(self.cwd.take());
                // A second session_meta in the same file: `codex exec resume` appended to it.
                let resumed = std::mem::replace(&mut self.seen_meta, true);
                Some(Signal::Started { resumed })
            }
            Line::Progress => {
                // Work after an error: that error did not end the turn.
                self.turn_error = None;
                Some(Signal::Progress)
            }
            Line::TurnStarted => {
                // A turn's start is not output: a resume is verified by what the model does next.
                self.turn_error = None;
                self.turn_open = true;
                None
            }
            Line::RateLimits(Some(resets)) => {
                self.limit_resets = resets;
                rate_limit_resets = resets;
                None
            }
            Line::RateLimits(None) | Line::Nothing => None,
            Line::Retrying => Some(Signal::Retrying { next: None }),
            Line::Aborted => {
                self.turn_error = None;
                self.turn_open = false;
                Some(stopped(StopReason::UserExit, "turn aborted"))
            }
            Line::Failure(err) => {
                let ctx = self.ctx(at)?;
                if err.is_turn_ending(&ctx) {
                    let signal = stopped(err.reason(&ctx, self.limit_resets), err.evidence());
                    self.turn_error = Some(err);
                    Some(signal)
                } else {
                    None
                }
            }
            Line::Completed(error) => {
                self.turn_open = false;
                match error.or(self.turn_error.take()) {
                    Some(err) => {
                        let ctx = self.ctx(at)?;
                        Some(stopped(err.reason(&ctx, self.limit_resets), err.evidence()))
                    }
                    None => Some(stopped(StopReason::Completed, "task_complete")),
                }
            }
        };
        Ok(ParsedRecord {
            session_id: self.session_id.clone(),
            cwd: self.cwd.clone(),
            transcript: None,
            at,
            signal,
            rate_limit_resets,
            context_use: usage.context,
            quota_use: usage.quota,
        })
    }

    fn ctx(&self, at: Option<DateTime<Utc>>) -> Result<ClassifyContext, FormatError> {
        Ok(ClassifyContext::new(
            at.ok_or(FormatError::Missing("timestamp"))?,
            self.tz,
        ))
    }
}

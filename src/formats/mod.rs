//! What every assistant's record parser shares: [`ParsedRecord`] (what one record says about its session),
//! [`FormatError`], and small readers of JSON fields and timestamps. The parsers themselves live in each
//! assistant's folder (`crate::assistants::<name>::records`). No I/O: sources read the bytes and hand them in.

#[cfg(test)]
pub(crate) mod test_support;

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::model::{Signal, StopReason};

/// What one record says about its session.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedRecord {
    pub session_id: Option<String>,
    pub cwd: Option<PathBuf>,
    /// The transcript the session writes, when the record names it (Claude hook payloads).
    pub transcript: Option<PathBuf>,
    /// The record's own timestamp.
    pub at: Option<DateTime<Utc>>,
    /// `None` when the record says nothing about whether the session runs or stopped.
    pub signal: Option<Signal>,
    /// Codex: when the latest usage window reported at 100% resets (the later one if several are).
    pub rate_limit_resets: Option<DateTime<Utc>>,
    /// How full the context window is after the model response this record holds.
    pub context_use: Option<crate::model::ContextUse>,
    /// How much of its usage quota the account has spent, when the record says (the most used window).
    pub quota_use: Option<crate::model::QuotaUse>,
}

impl ParsedRecord {
    /// What the record says beside its own signal: how full the context is, how much quota is spent.
    pub fn usage_signals(&self) -> Vec<Signal> {
        let context = self.context_use.map(Signal::ContextUse);
        let quota = self.quota_use.map(Signal::QuotaUse);
        context.into_iter().chain(quota).collect()
    }
}

/// A record that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("not a JSON object")]
    NotObject,
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("bad timestamp `{0}`")]
    BadTimestamp(String),
}

/// Evidence kept with a stop is capped, so a runaway message cannot bloat the audit trail.
const EVIDENCE_MAX_CHARS: usize = 2000;

pub(crate) fn parse_object(line: &str) -> Result<Map<String, Value>, FormatError> {
    match serde_json::from_str::<Value>(line)? {
        Value::Object(map) => Ok(map),
        _ => Err(FormatError::NotObject),
    }
}

/// An instant written as RFC 3339 text or as epoch seconds / milliseconds.
pub(crate) fn instant(v: Option<&Value>) -> Result<Option<DateTime<Utc>>, FormatError> {
    let bad = |v: &Value| FormatError::BadTimestamp(v.to_string());
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| FormatError::BadTimestamp(s.clone())),
        Some(n @ Value::Number(_)) => {
            let x = n.as_f64().ok_or_else(|| bad(n))?;
            // Seconds until the year 5138; anything larger is milliseconds.
            let ms = if x.abs() < 1e11 { x * 1000.0 } else { x };
            if !ms.is_finite() || ms.abs() > 8.0e15 {
                return Err(bad(n));
            }
            Utc.timestamp_millis_opt(ms as i64)
                .single()
                .map(Some)
                .ok_or_else(|| bad(n))
        }
        Some(other) => Err(bad(other)),
    }
}

pub(crate) fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A text field, or any other JSON value rendered as text (error details come both ways).
pub(crate) fn text_at(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

pub(crate) fn stopped(reason: StopReason, evidence: &str) -> Signal {
    let evidence = match evidence.char_indices().nth(EVIDENCE_MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &evidence[..cut]),
        None => evidence.to_owned(),
    };
    Signal::Stopped { reason, evidence }
}

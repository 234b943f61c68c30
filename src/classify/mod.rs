//! Pure classification of stop evidence into a [`StopReason`], and reset-time parsing.
//!
//! Sources hand over what they saw as [`Evidence`]: an error code, an HTTP status, the message text, and
//! whether it came from a *structured* error marker (Claude's `isApiErrorMessage`, a hook's `error`,
//! Codex's `codex_error_info`, opencode's `error`) or is free text (a terminal screen, stderr).
//! Structured evidence is trusted for its category and read leniently; free text must match one of a
//! small set of anchored patterns ([`classify_text`]), because prose that merely quotes a limit, or a
//! warning such as "Approaching usage limit", is not a stop.
//!
//! Every function here is pure: the current instant and the agent's time zone come in through
//! [`ClassifyContext`].

mod announce;
mod pattern;
mod reset;
mod status;
pub(crate) mod text;

#[cfg(test)]
mod tests;

use crate::tz::Tz;
use chrono::{DateTime, Utc};

use crate::model::{Assistant, Precision, StopReason, UsageWindow};

pub use announce::{ResetReport, report_reset};
pub use pattern::built_in;
pub use reset::{
    RESET_TOLERANCE, announced_reset, clamp_reset, infer_window, named_window, parse_reset,
    reset_precision, window_horizon,
};
pub use status::by_status;

/// What a source saw when a turn stopped, before any interpretation.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub assistant: Assistant,
    /// The assistant's own error code: Claude's `error` (`rate_limit`, `invalid_request`, …), Codex's
    /// `codex_error_info` kind (`usage_limit_exceeded`, …), opencode's error `name` (`APIError`, …).
    pub error_code: Option<String>,
    pub http_status: Option<u16>,
    /// The human-readable message (the assistant line's text, the error message).
    pub text: String,
    /// Extra detail: Claude's `errorDetails`, opencode's `responseBody`.
    pub details: Option<String>,
    /// A Retry-After the assistant recorded, in seconds.
    pub retry_after_secs: Option<u64>,
    /// When a usage window the assistant reported as exhausted resets (Codex `rate_limits`).
    pub window_resets_at: Option<DateTime<Utc>>,
    /// Came from a structured error marker rather than free text.
    pub structured: bool,
}

impl Evidence {
    /// Free-text evidence (unstructured) with no code, status or hints.
    pub fn new(assistant: Assistant, text: impl Into<String>) -> Self {
        Evidence {
            assistant,
            error_code: None,
            http_status: None,
            text: text.into(),
            details: None,
            retry_after_secs: None,
            window_resets_at: None,
            structured: false,
        }
    }

    /// Structured evidence carrying the assistant's own error code.
    pub fn structured(assistant: Assistant, code: Option<&str>, text: impl Into<String>) -> Self {
        Evidence {
            error_code: code.map(str::to_owned),
            structured: true,
            ..Evidence::new(assistant, text)
        }
    }

    /// The text and the details, for patterns that may appear in either.
    pub fn text_and_details(&self) -> String {
        match &self.details {
            Some(d) if !d.is_empty() => format!("{}\n{}", self.text, d),
            _ => self.text.clone(),
        }
    }
}

/// The frame a message is read in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassifyContext {
    /// The message's own timestamp: relative times ("resets 3pm", "in 2 hours") count from here.
    pub now: DateTime<Utc>,
    /// The agent process's local time zone, used when a message names none.
    pub tz: Tz,
}

impl ClassifyContext {
    pub fn new(now: DateTime<Utc>, tz: Tz) -> Self {
        ClassifyContext { now, tz }
    }
}

/// The zone a `TZ` value names ([`Tz::from_tz_variable`]); UTC when unset or unknown.
pub fn tz_from_name(name: Option<&str>) -> Tz {
    name.and_then(Tz::from_tz_variable).unwrap_or(Tz::UTC)
}

/// The zone of this process's environment: `$TZ`, else UTC. Reads one environment variable.
pub fn env_tz() -> Tz {
    tz_from_name(std::env::var("TZ").ok().as_deref())
}

/// Why the turn described by `e` stopped. Structured evidence is read by `structured`, the rules of the
/// assistant that wrote it; free text must match the shared patterns. Unplaceable evidence is
/// [`StopReason::Unknown`].
pub fn classify(
    e: &Evidence,
    ctx: &ClassifyContext,
    structured: fn(&Evidence, &ClassifyContext) -> StopReason,
) -> StopReason {
    if !e.structured {
        return classify_text(&e.text, ctx)
            .or_else(|| by_status(e.http_status, &e.text, e.retry_after_secs))
            .unwrap_or(StopReason::Unknown);
    }
    structured(e, ctx)
}

/// Where an assistant's structured rules end once its own wording did not decide: an exhausted context, a
/// refused authentication (401/403), then the shared text patterns and the HTTP status; else unknown.
pub fn structured_fallback(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    let all = e.text_and_details();
    if text::mentions_context(&all) {
        return StopReason::ContextExhausted;
    }
    if matches!(e.http_status, Some(401 | 403)) || text::mentions_auth(&all) {
        return StopReason::NeedsHuman {
            cause: crate::model::HumanCause::Authentication,
        };
    }
    classify_text(&e.text, ctx)
        .or_else(|| by_status(e.http_status, &all, e.retry_after_secs))
        .unwrap_or(StopReason::Unknown)
}

/// Classify free text strictly. `None` means the text is not a stop message at all: prose quoting a
/// limit, a warning ("Approaching usage limit", "You've used 98% of your session limit"), a retry in
/// progress ("Retrying in 4s · attempt 1/3"), a notice that the assistant continues by itself.
///
/// The text may span several lines (a terminal screen, stderr); the last line that is either a stop
/// message or a still-retrying notice decides.
///
/// The patterns are shared by all assistants: one relays its providers' wording, and a wrapped terminal may
/// show any of them.
pub fn classify_text(text: &str, ctx: &ClassifyContext) -> Option<StopReason> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate().rev() {
        let head = text::strip_decoration(line);
        if head.is_empty() {
            continue;
        }
        if text::is_not_a_stop(head) {
            return None;
        }
        if let Some(rule) = text::match_stop_line(head) {
            // A wrapped message continues on the next lines ("… try again in 5 days 22 hours 11\nminutes.").
            let mut message = head.to_owned();
            for next in &lines[i + 1..] {
                message.push(' ');
                message.push_str(next.trim());
            }
            return Some(text::reason_for(rule, &message, None, ctx));
        }
    }
    None
}

/// A usage limit read from `text`, with its reset instant from `known_reset` (a structured field, exact)
/// when given, else parsed from the text (to the minute, unless an epoch); the window is the one the text
/// names, else inferred.
pub(crate) fn usage_limit(
    text: &str,
    known_reset: Option<DateTime<Utc>>,
    ctx: &ClassifyContext,
) -> StopReason {
    let named = named_window(text);
    if let Some(at) = known_reset {
        let window = named.unwrap_or_else(|| infer_window(at, ctx.now));
        let resets_at = clamp_reset(at, window, ctx.now);
        return StopReason::UsageLimit {
            resets_at,
            window,
            precision: if resets_at.is_some() {
                Precision::Exact
            } else {
                Precision::Minute
            },
        };
    }
    match parse_reset(text, ctx) {
        Some((at, window)) => StopReason::UsageLimit {
            resets_at: Some(at),
            window,
            precision: reset_precision(text),
        },
        None => StopReason::UsageLimit {
            resets_at: None,
            window: named.unwrap_or(UsageWindow::Unknown),
            precision: Precision::Minute,
        },
    }
}

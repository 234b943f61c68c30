//! The resume policy, as a pure function: given why a session stopped, what has already been tried, and the
//! configuration, what to do and when. No I/O, no clock: `now` and the jitter sample are arguments.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clock;
pub mod fallback;
mod margin;
pub mod stagger;

pub use margin::margin_after;

use crate::config::{Config, ContextStrategy};
use crate::model::{Assistant, Precision, StopReason};

/// How a session is resumed.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Send the continue prompt to the same session.
    SameSession,
    /// Back up, then start a new session seeded from the project's next-step notes.
    NewSession,
    /// opencode: summarize the session, then continue it.
    Summarize,
    /// Start a new session of another assistant in the same project, seeded from the next-step notes
    /// (`[fallback]`: the limit resets far away).
    HandOff { to: Assistant },
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SameSession => "resume_same_session",
            Action::NewSession => "new_session",
            Action::Summarize => "summarize_and_continue",
            Action::HandOff { .. } => "hand_off",
        }
    }

    /// Whether the action starts a new session (rather than continuing this one).
    pub fn starts_new_session(self) -> bool {
        matches!(self, Action::NewSession | Action::HandOff { .. })
    }
}

/// What has happened to this session so far, as far as policy cares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Resume attempts already made for the current stop (0 for a fresh stop).
    pub attempts: u32,
    /// Resumes started in the last hour.
    pub resumes_last_hour: u32,
}

/// The decision.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// Act at `at`.
    Resume {
        action: Action,
        at: DateTime<Utc>,
        why: String,
    },
    /// A human must act (billing, login, unknown error): tell them, do nothing.
    Notify { why: String },
    /// Nothing to do: the session ended on purpose or finished.
    Finish { why: String },
    /// Automatic resuming stops here: retries exhausted or the hourly cap reached.
    GiveUp { why: String },
}

/// Exponential backoff delay for attempt `n` (1-based): `min(base * 2^(n-1), max)`, then ± `jitter_fraction`
/// scaled by `jitter_sample` in -1..=1. Never negative.
pub fn backoff_delay(
    n: u32,
    base_secs: u64,
    max_secs: u64,
    jitter_fraction: f64,
    jitter_sample: f64,
) -> Duration {
    let exp = n.saturating_sub(1).min(32);
    let raw = base_secs.saturating_mul(1u64 << exp).min(max_secs) as f64;
    let jittered = raw * (1.0 + jitter_fraction * jitter_sample.clamp(-1.0, 1.0));
    // `as` saturates for floats: an absurd max_secs gives i64::MAX ms, which saturates below.
    clock::millis((jittered.max(0.0) * 1000.0).round() as u64)
}

/// Decide what to do about a stop of `assistant`'s session observed at `now`.
/// Whether the assistant can summarize a session in place.
fn can_summarize(assistant: Assistant) -> bool {
    crate::assistants::get(assistant).is_some_and(|a| a.can_summarize())
}

pub fn decide(
    reason: &StopReason,
    assistant: Assistant,
    history: History,
    config: &Config,
    now: DateTime<Utc>,
    jitter_sample: f64,
) -> Plan {
    let r = &config.resume;
    let margin = |p| margin_after(p, r, jitter_sample);
    let jitter = if r.jitter { r.jitter_fraction } else { 0.0 };
    let backoff = |n: u32| {
        backoff_delay(
            n,
            r.backoff_base_secs,
            r.backoff_max_secs,
            jitter,
            jitter_sample,
        )
    };
    let next_attempt = history.attempts + 1;

    let (action, at, why) = match reason {
        StopReason::Completed => {
            return Plan::Finish {
                why: "the turn completed".into(),
            };
        }
        StopReason::UserExit => {
            return Plan::Finish {
                why: "the user ended the session".into(),
            };
        }
        StopReason::NeedsHuman { cause } => {
            return Plan::Notify {
                why: format!("needs a human ({cause:?}); never resumed automatically"),
            };
        }
        StopReason::Unknown => {
            return Plan::Notify {
                why: "stopped for a reason palingenesis cannot place".into(),
            };
        }
        StopReason::RateLimit {
            retry_after_secs: Some(s),
        } => {
            let m = margin(Precision::Exact);
            (
                Action::SameSession,
                clock::after(clock::after(now, clock::secs(*s)), m),
                format!(
                    "rate limited; Retry-After {s}s plus {} margin",
                    margin::describe(m)
                ),
            )
        }
        StopReason::RateLimit {
            retry_after_secs: None,
        } => {
            let d = backoff(next_attempt);
            (
                Action::SameSession,
                clock::after(now, d),
                format!(
                    "rate limited; backoff attempt {next_attempt} ({}s)",
                    d.num_seconds()
                ),
            )
        }
        StopReason::UsageLimit {
            resets_at: Some(t),
            window,
            precision,
        } => {
            let m = margin(*precision);
            let known = match precision {
                Precision::Exact => "exactly",
                Precision::Minute => "to the minute",
            };
            (
                Action::SameSession,
                clock::after(*t, m).max(now),
                format!(
                    "usage limit ({window:?} window) resets at {t} (known {known}); plus {} margin",
                    margin::describe(m)
                ),
            )
        }
        StopReason::UsageLimit {
            resets_at: None, ..
        } => {
            let d = backoff(next_attempt);
            (
                Action::SameSession,
                clock::after(now, d),
                format!(
                    "usage limit without announced reset; backoff attempt {next_attempt} ({}s)",
                    d.num_seconds()
                ),
            )
        }
        StopReason::Transient { status } => {
            let d = backoff(next_attempt);
            let status = status.map_or("connection".to_string(), |s| s.to_string());
            (
                Action::SameSession,
                clock::after(now, d),
                format!(
                    "transient error ({status}); backoff attempt {next_attempt} ({}s)",
                    d.num_seconds()
                ),
            )
        }
        StopReason::ContextExhausted => match config.context_strategy(assistant) {
            ContextStrategy::NewSession => (
                Action::NewSession,
                now,
                "context window exhausted; new session from next-step notes".into(),
            ),
            ContextStrategy::SameSession => (
                Action::SameSession,
                now,
                "context window exhausted; the assistant compacts on resume".into(),
            ),
            ContextStrategy::Summarize if can_summarize(assistant) => (
                Action::Summarize,
                now,
                "context window exhausted; summarize then continue".into(),
            ),
            ContextStrategy::Summarize => (
                Action::NewSession,
                now,
                format!(
                    "context window exhausted; {assistant} cannot summarize, new session instead"
                ),
            ),
        },
    };
    if !r.enabled {
        return Plan::Notify {
            why: format!(
                "automatic resume disabled in config; would {}",
                action.as_str()
            ),
        };
    }
    if history.attempts >= r.max_retries {
        return Plan::GiveUp {
            why: format!(
                "{} resume attempts made without progress (max_retries {})",
                history.attempts, r.max_retries
            ),
        };
    }
    if history.resumes_last_hour >= r.max_resumes_per_hour {
        return Plan::GiveUp {
            why: format!(
                "{} resumes in the last hour (max_resumes_per_hour {})",
                history.resumes_last_hour, r.max_resumes_per_hour
            ),
        };
    }
    let (at, clamped) = clock::clamp_wait(at, now);
    let why = if clamped {
        format!(
            "{why}; the stated wait is longer than {} days and was clamped to that",
            clock::MAX_WAIT.num_days()
        )
    } else {
        why
    };
    Plan::Resume { action, at, why }
}

#[cfg(test)]
mod tests;

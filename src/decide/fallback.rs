//! The fallback policy, as a pure function: whether a session stopped by a usage limit is handed to another
//! assistant (`[fallback]`), and to which. It qualifies when the limit resets more than `after_hours` away
//! (or is a weekly limit with no announced reset); the first configured assistant that palingenesis can start
//! a new session of, that is not the stopped one, and that is not itself at a limit right now takes it. At
//! most one hand-off per stop: once an attempt was made for the stop, the session waits for its reset.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};

use crate::config::FallbackSettings;
use crate::model::{Assistant, StopReason, UsageWindow};

/// What the engine knows about the other assistants when a session stops.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Availability {
    /// Assistants palingenesis can start a new headless session of (set up here, with a resumer).
    pub startable: BTreeSet<Assistant>,
    /// Assistants a session of which is at a usage limit that has not reset (until when, if announced).
    pub limited: BTreeMap<Assistant, Option<DateTime<Utc>>>,
    /// Sessions whose agent is at work (running, resuming, waiting to resume): a session handed to one of
    /// them is not resumed beside it at its reset.
    pub busy: BTreeSet<crate::model::SessionKey>,
}

/// What the session's stop asks of the fallback.
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    /// Start a new session of `to`.
    HandOff { to: Assistant, why: String },
    /// Fallback does not apply to this stop (off, not a usage limit, the reset is near): nothing to say.
    NotApplicable,
    /// The stop qualifies but nobody can take it; the session waits for its reset, and `why` says so.
    NoneEligible { why: String },
}

/// Everything the choice depends on.
pub struct Situation<'a> {
    pub reason: &'a StopReason,
    pub from: Assistant,
    pub settings: &'a FallbackSettings,
    pub available: &'a Availability,
    /// Attempts already made for this stop (a hand-off counts): only a fresh stop is handed off.
    pub attempts: u32,
    pub now: DateTime<Utc>,
}

/// Decide whether and to whom the work goes.
pub fn choose(s: &Situation<'_>) -> Choice {
    if !s.settings.enabled || s.attempts > 0 {
        return Choice::NotApplicable;
    }
    let far = TimeDelta::hours(i64::try_from(s.settings.after_hours).unwrap_or(i64::MAX / 7200));
    let limit = match s.reason {
        StopReason::UsageLimit {
            resets_at: Some(at),
            window,
            ..
        } if *at - s.now > far => {
            format!(
                "{} {}usage limit resets at {} ({} h away, more than after_hours {})",
                s.from,
                window_word(*window),
                at.format("%Y-%m-%d %H:%M UTC"),
                (*at - s.now).num_hours(),
                s.settings.after_hours
            )
        }
        StopReason::UsageLimit {
            resets_at: None,
            window: UsageWindow::Weekly,
            ..
        } => format!("{} weekly usage limit, reset not announced", s.from),
        _ => return Choice::NotApplicable,
    };
    let mut passed = Vec::new();
    for to in &s.settings.assistants {
        let why_not = if *to == s.from {
            Some("is the stopped assistant".to_string())
        } else if !s.available.startable.contains(to) {
            Some("is not set up here (not installed, or not watched)".to_string())
        } else {
            match s.available.limited.get(to) {
                Some(Some(until)) => Some(format!(
                    "is at a usage limit until {}",
                    until.format("%Y-%m-%d %H:%M UTC")
                )),
                Some(None) => Some("is at a usage limit".to_string()),
                None => None,
            }
        };
        match why_not {
            None => {
                return Choice::HandOff {
                    to: *to,
                    why: format!("{limit}; handing the work to {to}"),
                };
            }
            Some(w) => passed.push(format!("{to} {w}")),
        }
    }
    let detail = if passed.is_empty() {
        "no fallback assistant is configured".to_string()
    } else {
        passed.join(", ")
    };
    Choice::NoneEligible {
        why: format!("no hand-off: {detail}"),
    }
}

fn window_word(w: UsageWindow) -> &'static str {
    match w {
        UsageWindow::Session => "session ",
        UsageWindow::Weekly => "weekly ",
        UsageWindow::ExtraUsage => "extra ",
        UsageWindow::Unknown => "",
    }
}

#[cfg(test)]
mod tests;

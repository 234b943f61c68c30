//! What a usage-limit message announced about its reset, for telling a person: the instant found, or why
//! it is not used (already passed, or further out than the window allows).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ClassifyContext, RESET_TOLERANCE, announced_reset, window_horizon};
use crate::model::StopReason;

/// The reset a stop message announced, as `palingenesis classify` reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "reset", rename_all = "snake_case")]
pub enum ResetReport {
    /// The instant found and used.
    At { at: DateTime<Utc>, in_secs: i64 },
    /// The message named an instant that is already behind us: resume is due now.
    AlreadyPassed { announced: DateTime<Utc> },
    /// The message named an instant further out than its window can reset; not trusted.
    BeyondWindow { announced: DateTime<Utc> },
    /// The message names no reset instant.
    NoneAnnounced,
}

/// The report for a usage limit read from `text`; `None` for other stops.
pub fn report_reset(reason: &StopReason, text: &str, ctx: &ClassifyContext) -> Option<ResetReport> {
    let StopReason::UsageLimit {
        resets_at, window, ..
    } = reason
    else {
        return None;
    };
    let announced = announced_reset(text, ctx);
    Some(match (resets_at, announced) {
        (_, Some(a)) if a < ctx.now - RESET_TOLERANCE => {
            ResetReport::AlreadyPassed { announced: a }
        }
        (Some(at), _) => ResetReport::At {
            at: *at,
            in_secs: (*at - ctx.now).num_seconds(),
        },
        (None, Some(a)) if a > ctx.now + window_horizon(*window) => {
            ResetReport::BeyondWindow { announced: a }
        }
        (None, _) => ResetReport::NoneAnnounced,
    })
}

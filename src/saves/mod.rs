//! What the user got out of palingenesis: stops seen, saves (stops resumed and verified) and agent time
//! recovered, in total, per assistant and per day. A pure fold over the audit trail ([`SavesBook::observe`]),
//! so the daemon replays its history at start-up and then keeps the book current from the live stream.
//!
//! Definitions (also in `docs/observability.md`):
//! - a **stop** is a `StopDetected` event;
//! - a **save** is a `ResumeCompleted` event: a resume palingenesis started and then verified;
//! - the **time recovered** by a save runs from the start of the resume that worked (its `ResumeStarted`, or
//!   the `SessionCreated` of a new session that continues the work) to the session's next `StopDetected`,
//!   `SessionDone`, `SessionFailed` or `NeedsAttention`, or to `DaemonStopped` (nothing is known after it).
//!   A save still running counts until now. Either way one save counts at most [`MAX_SAVE`] (24 h);
//! - a save's day is the UTC day its resume started; its time counts entirely on that day.

mod live;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::{AuditEvent, EventType};

pub use live::SavesHandle;

/// The most one save can count: an agent left running unobserved must not inflate the figure.
pub const MAX_SAVE: Duration = Duration::hours(24);

/// Days kept in [`SavesReport::by_day`] (the most recent ones).
pub const REPORT_DAYS: usize = 14;

/// Counts for one assistant, one day, or everything.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Stops detected.
    pub stops: u64,
    /// Stops resumed and verified.
    pub saves: u64,
    /// Agent time recovered by those saves, in seconds.
    pub recovered_secs: u64,
}

/// One row of a per-assistant or per-day breakdown.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TallyRow {
    /// An assistant (`claude`) or a UTC day (`2026-11-30`).
    pub key: String,
    #[serde(flatten)]
    pub tally: Tally,
}

/// Everything `status` shows about saves.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SavesReport {
    pub total: Tally,
    pub by_assistant: Vec<TallyRow>,
    /// The most recent [`REPORT_DAYS`] days with activity, oldest first.
    pub by_day: Vec<TallyRow>,
}

/// A save whose recovered time is still running.
#[derive(Clone, Debug)]
struct OpenSave {
    assistant: String,
    started: DateTime<Utc>,
}

/// Figures of closed saves (and every stop) for one assistant or one day.
#[derive(Clone, Debug, Default)]
struct Sums {
    stops: u64,
    saves: u64,
    recovered: Duration,
}

impl Sums {
    fn tally(&self, extra: Duration) -> Tally {
        Tally {
            stops: self.stops,
            saves: self.saves,
            recovered_secs: (self.recovered + extra).num_seconds().max(0) as u64,
        }
    }
}

/// The fold. Feed it audit events in order; ask it for a [`SavesReport`] at any instant.
#[derive(Clone, Debug, Default)]
pub struct SavesBook {
    by_assistant: BTreeMap<String, Sums>,
    by_day: BTreeMap<NaiveDate, Sums>,
    /// Sessions whose resume started but is not verified yet: when it started.
    resuming: HashMap<String, DateTime<Utc>>,
    /// Sessions running thanks to a save.
    open: HashMap<String, OpenSave>,
}

impl SavesBook {
    pub fn new() -> SavesBook {
        SavesBook::default()
    }

    /// Apply one audit event.
    pub fn observe(&mut self, e: &AuditEvent) {
        let session = e.session.clone().unwrap_or_default();
        let assistant = e.assistant.map(|a| a.to_string()).unwrap_or_default();
        match e.event {
            EventType::StopDetected => {
                self.close(&session, e.ts);
                self.resuming.remove(&session);
                self.by_assistant.entry(assistant).or_default().stops += 1;
                self.by_day.entry(e.ts.date_naive()).or_default().stops += 1;
            }
            EventType::ResumeStarted => {
                self.resuming.insert(session, e.ts);
            }
            EventType::SessionCreated if e.action.as_deref() == Some("new_session") => {
                self.resuming.insert(session, e.ts);
            }
            EventType::ResumeCompleted => {
                let started = self.resuming.remove(&session).unwrap_or(e.ts);
                self.close(&session, e.ts);
                self.by_assistant
                    .entry(assistant.clone())
                    .or_default()
                    .saves += 1;
                self.by_day.entry(started.date_naive()).or_default().saves += 1;
                self.open.insert(session, OpenSave { assistant, started });
            }
            EventType::SessionDone | EventType::SessionFailed | EventType::NeedsAttention => {
                self.close(&session, e.ts);
            }
            EventType::DaemonStopped => {
                let sessions: Vec<String> = self.open.keys().cloned().collect();
                for s in sessions {
                    self.close(&s, e.ts);
                }
                self.resuming.clear();
            }
            _ => {}
        }
    }

    /// End `session`'s running save at `at`, if it has one.
    fn close(&mut self, session: &str, at: DateTime<Utc>) {
        if let Some(open) = self.open.remove(session) {
            let took = span(open.started, at);
            self.by_assistant
                .entry(open.assistant)
                .or_default()
                .recovered += took;
            self.by_day
                .entry(open.started.date_naive())
                .or_default()
                .recovered += took;
        }
    }

    /// The figures as of `now` (running saves count until `now`).
    pub fn report(&self, now: DateTime<Utc>) -> SavesReport {
        let mut running_by_assistant: BTreeMap<&str, Duration> = BTreeMap::new();
        let mut running_by_day: BTreeMap<NaiveDate, Duration> = BTreeMap::new();
        for open in self.open.values() {
            let took = span(open.started, now);
            *running_by_assistant
                .entry(&open.assistant)
                .or_insert(Duration::zero()) += took;
            *running_by_day
                .entry(open.started.date_naive())
                .or_insert(Duration::zero()) += took;
        }
        let by_assistant: Vec<TallyRow> = self
            .by_assistant
            .iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, sums)| TallyRow {
                key: k.clone(),
                tally: sums.tally(
                    running_by_assistant
                        .get(k.as_str())
                        .copied()
                        .unwrap_or_default(),
                ),
            })
            .collect();
        let mut total = Sums::default();
        let mut running_total = Duration::zero();
        for (k, sums) in &self.by_assistant {
            total.stops += sums.stops;
            total.saves += sums.saves;
            total.recovered += sums.recovered;
            running_total += running_by_assistant
                .get(k.as_str())
                .copied()
                .unwrap_or_default();
        }
        let skip = self.by_day.len().saturating_sub(REPORT_DAYS);
        let by_day = self
            .by_day
            .iter()
            .skip(skip)
            .map(|(day, sums)| TallyRow {
                key: day.to_string(),
                tally: sums.tally(running_by_day.get(day).copied().unwrap_or_default()),
            })
            .collect();
        SavesReport {
            total: total.tally(running_total),
            by_assistant,
            by_day,
        }
    }
}

/// The time one save counts for: never negative, at most [`MAX_SAVE`].
fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    (to - from).clamp(Duration::zero(), MAX_SAVE)
}

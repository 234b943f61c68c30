//! Many sessions, one reset: the sessions of one assistant waiting for the same usage-limit reset are
//! spread out, most recently active first, `[resume] stagger_secs` apart (see [`crate::decide::stagger`]).
//! Each session's new place is an input of its state machine ([`super::step::Input::Staggered`]).

use chrono::Duration;

use super::Engine;
use super::session::Phase;
use super::step::Input;
use crate::decide::stagger::{Waiter, stagger};
use crate::model::{Assistant, StopReason};

impl Engine {
    /// Re-spread `assistant`'s sessions waiting for a usage-limit reset.
    pub(super) fn stagger_waiting(&mut self, assistant: Assistant) {
        let gap = Duration::seconds(self.config.resume.stagger_secs as i64);
        let waiters: Vec<_> = self
            .sessions
            .values()
            .filter(|s| s.key.assistant == assistant)
            .filter_map(|s| {
                let Phase::Waiting { until, .. } = &s.phase else {
                    return None;
                };
                let stop = s.last_stop.as_ref()?;
                let StopReason::UsageLimit {
                    resets_at: Some(reset),
                    ..
                } = stop.reason
                else {
                    return None;
                };
                Some(Waiter {
                    key: s.key.clone(),
                    reset,
                    planned: *until,
                    last_active: s.last_progress_at.map_or(stop.at, |p| p.max(stop.at)),
                })
            })
            .collect();
        if waiters.len() < 2 {
            return;
        }
        for (key, at, position, of) in stagger(waiters, gap) {
            if of < 2 {
                continue;
            }
            self.apply(
                &key,
                Input::Staggered {
                    at,
                    position,
                    of,
                    gap,
                },
            );
        }
    }
}

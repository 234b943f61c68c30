//! What the engine knows about the other assistants, for the fallback policy
//! ([`crate::decide::fallback`]): which it can start a new session of (their adapter wired a resumer under
//! the config in force: installed and watched) and which are at a usage limit that has not reset (a session of
//! theirs stopped on it, as `quota_status` reports).

use chrono::{DateTime, Utc};

use super::Engine;
use super::step::Input;
use crate::decide::fallback::Availability;
use crate::model::StopReason;

impl Engine {
    /// The availability a step needs: looked at only when some project has fallback on and the input can
    /// lead to a decision (a stop, a deadline, an attempt's report, the assistant's own continue ending).
    pub(super) fn fallback_availability(&self, input: &Input, now: DateTime<Utc>) -> Availability {
        let may_decide = matches!(
            input,
            Input::Stopped { .. }
                | Input::Deadline
                | Input::Attempt { .. }
                | Input::SelfContinue(_)
        );
        if !may_decide || !self.config.fallback.anywhere() {
            return Availability::default();
        }
        let mut available = Availability::default();
        for adapter in crate::assistants::all() {
            let assistant = adapter.assistant();
            if self.resumers.get(assistant).is_some() {
                available.startable.insert(assistant);
            }
            if let Some((reason, _)) = self.binding_limit(assistant, now) {
                let until = match reason {
                    StopReason::UsageLimit { resets_at, .. } => resets_at,
                    _ => None,
                };
                available.limited.insert(assistant, until);
            }
        }
        available
    }
}

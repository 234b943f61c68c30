//! What the engine knows about the other assistants, for the fallback policy
//! ([`crate::decide::fallback`]): which it can start a new session of (their adapter wired a resumer under
//! the config in force: installed and watched) and which are at a usage limit that has not reset (a session of
//! theirs stopped on it, as `quota_status` reports).

use chrono::{DateTime, Utc};

use super::Engine;
use super::agent::plan_view;
use super::session::{Phase, TrackedSession};
use super::step::Input;
use crate::decide::fallback::{self, Availability, Choice, Situation};
use crate::decide::{self, Action, Plan};
use crate::model::StopReason;
use crate::protocol::PlannedActionView;

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
                | Input::Unpaused
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
        // Who is at work matters only when a handed-off session's reset comes (a deadline).
        if !matches!(input, Input::Deadline) {
            return available;
        }
        available.busy = self
            .sessions
            .values()
            .filter(|s| {
                matches!(
                    s.phase,
                    Phase::Running
                        | Phase::Waiting { .. }
                        | Phase::Resuming { .. }
                        | Phase::SelfContinuing { .. }
                )
            })
            .map(|s| s.key.clone())
            .collect();
        available
    }

    /// What palingenesis would do if `sess` stopped on `reason` now (for `quota_status`): the resume plan, or
    /// the hand-off the fallback would make instead.
    pub(super) fn would_do(
        &self,
        sess: &TrackedSession,
        reason: &StopReason,
        now: DateTime<Utc>,
    ) -> PlannedActionView {
        let plan = decide::decide(
            reason,
            sess.key.assistant,
            sess.history(now),
            &self.config,
            now,
            0.0,
        );
        let resumes = matches!(plan, Plan::Resume { .. });
        let mut view = plan_view(plan, now);
        if !resumes || !self.config.fallback.anywhere() {
            return view;
        }
        let settings = self
            .config
            .fallback
            .for_project(sess.locator.cwd.as_deref());
        let available = self.fallback_availability(&Input::Deadline, now);
        match fallback::choose(&Situation {
            reason,
            from: sess.key.assistant,
            settings: &settings,
            available: &available,
            attempts: sess.attempts,
            now,
        }) {
            Choice::HandOff { to, why } => PlannedActionView {
                action: Action::HandOff { to }.as_str().to_string(),
                at: now,
                reason: why,
            },
            Choice::NoneEligible { why } => {
                view.reason = format!("{}; {why}", view.reason);
                view
            }
            Choice::NotApplicable => view,
        }
    }
}

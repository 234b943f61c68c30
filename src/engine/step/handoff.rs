//! Handing a session to another assistant (`[fallback]`, see [`crate::decide::fallback`]): when its usage
//! limit resets far away, a new session of the first eligible assistant is started in the same project as an
//! attempt of this one (`Action::HandOff`). Once that session exists this one is `HandedOff`: it is not resumed
//! at its reset (two agents on one tree would conflict); at the reset a human is told instead. A hand-off that
//! fails before the new session exists counts as an attempt, so the session then waits for its reset as
//! without fallback.

use tracing::info;

use super::Machine;
use crate::audit::EventType;
use crate::decide::fallback::{self, Choice, Situation};
use crate::decide::{Action, Plan};
use crate::engine::session::Phase;
use crate::model::{SessionKey, StopReason};

impl Machine<'_> {
    /// What the fallback makes of `plan` for a stop of `reason`: `None` when a hand-off was started instead,
    /// else the plan (with why there was no hand-off, when the stop qualified).
    pub(super) fn fallback(&mut self, reason: &StopReason, plan: Plan) -> Option<Plan> {
        // Only a plan to resume automatically is replaced; notify, give-up and finish stand, and a paused
        // daemon starts nothing by itself.
        let Plan::Resume { action, at, why } = plan else {
            return Some(plan);
        };
        if self.policy.paused {
            return Some(Plan::Resume { action, at, why });
        }
        let settings = self
            .policy
            .config
            .fallback
            .for_project(self.s.locator.cwd.as_deref());
        let choice = fallback::choose(&Situation {
            reason,
            from: self.s.key.assistant,
            settings: &settings,
            available: &self.policy.available,
            attempts: self.s.attempts,
            now: self.now,
        });
        match choice {
            Choice::NotApplicable => Some(Plan::Resume { action, at, why }),
            Choice::NoneEligible { why: none } => Some(Plan::Resume {
                action,
                at,
                why: format!("{why}; {none}"),
            }),
            Choice::HandOff { to, why } => {
                info!(session = %self.s.key, %to, "handing off to another assistant");
                self.s.updated_at = self.now;
                let action = Action::HandOff { to };
                let ev = self
                    .event(EventType::ResumeScheduled)
                    .action(action.as_str())
                    .reason(reason.label())
                    .message(why)
                    .metadata(
                        serde_json::json!({ "at": self.now, "to": to, "would_resume_at": at }),
                    );
                self.record(ev);
                self.start_attempt(action);
                None
            }
        }
    }

    /// The hand-off attempt started `new_id` (a session of `to`): this session is handed off.
    pub(super) fn handed_off(&mut self, to: crate::model::Assistant, new_id: String) {
        let to_key = SessionKey::new(to, new_id);
        let (reason, resets_at) = match self.s.last_stop.as_ref().map(|s| &s.reason) {
            Some(r @ StopReason::UsageLimit { resets_at, .. }) => (r.label(), *resets_at),
            Some(r) => (r.label(), None),
            None => ("manual", None),
        };
        let resets_at = resets_at.map(|at| crate::clock::clamp_wait(at, self.now).0);
        let why = format!(
            "handed off to {to_key}; not resumed automatically at the reset while the work continues there"
        );
        self.fx.push(super::Effect::Disarm);
        if let Some(at) = resets_at {
            self.fx.push(super::Effect::Arm(at));
        }
        self.s.phase = Phase::HandedOff {
            to: to_key.clone(),
            resets_at,
            why: why.clone(),
        };
        self.s.updated_at = self.now;
        let ev = self
            .event(EventType::HandedOff)
            .action(Action::HandOff { to }.as_str())
            .reason(reason)
            .message(why)
            .metadata(serde_json::json!({
                "from": { "assistant": self.s.key.assistant, "session": self.s.key.id },
                "to": { "assistant": to, "session": to_key.id },
                "resets_at": resets_at,
            }));
        self.record(ev);
    }

    /// A handed-off session's limit has reset: tell a human; resuming it here is their call.
    pub(super) fn reset_after_hand_off(&mut self) {
        let Phase::HandedOff { to, .. } = &self.s.phase else {
            return;
        };
        let why = format!(
            "the usage limit of {} has reset; its work was handed to {to}, so it is not resumed automatically \
             (two agents in one project would conflict); `palingenesis resume-session {}` resumes it here",
            self.s.key.assistant, self.s.key.id
        );
        self.fx.push(super::Effect::Disarm);
        self.s.phase = Phase::Stopped { why: why.clone() };
        self.s.updated_at = self.now;
        let ev = self.event(EventType::NeedsAttention).message(why);
        self.record(ev);
    }
}

//! Handing a session to another assistant (`[fallback]`, see [`crate::decide::fallback`]): when its usage
//! limit resets far away, a new session of the first eligible assistant is started in the same project as an
//! attempt of this one (`Action::HandOff`). Once that session exists this one is `HandedOff`: it is not resumed
//! beside it (two agents on one tree would conflict). At its reset a human is told, or with `[fallback]
//! at_reset = "resume"` it is resumed in place once the session it was handed to is no longer at work. A
//! hand-off that fails before the new session exists counts as an attempt, so the session then waits for its
//! reset as without fallback.

use tracing::info;

use super::{Effect, Machine};
use crate::audit::EventType;
use crate::config::AtReset;
use crate::decide::fallback::{self, Choice, Situation};
use crate::decide::{Action, Plan};
use crate::engine::session::Phase;
use crate::model::{Precision, SessionKey, StopReason};

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

    /// Automatic actions are allowed again. A resume planned while paused is armed; a stop that came while
    /// paused gets the hand-off it could not have then (`fallback` starts nothing while paused), when it
    /// qualifies now.
    pub(super) fn unpaused(&mut self) {
        let Phase::Waiting {
            until,
            action,
            ref why,
        } = self.s.phase
        else {
            return;
        };
        let reason = self.s.last_stop.as_ref().map(|stop| stop.reason.clone());
        if let Some(reason) = reason
            && action == Action::SameSession
        {
            let planned = Plan::Resume {
                action,
                at: until,
                why: why.clone(),
            };
            if self.fallback(&reason, planned).is_none() {
                return;
            }
        }
        self.fx.push(Effect::Arm(until));
    }

    /// The hand-off attempt started `new_id` (a session of `to`): this session is handed off until its limit
    /// resets (plus the usual margin).
    pub(super) fn handed_off(&mut self, to: crate::model::Assistant, new_id: String) {
        let to_key = SessionKey::new(to, new_id);
        let (reason, resets_at, precision) = match self.s.last_stop.as_ref().map(|s| &s.reason) {
            Some(
                r @ StopReason::UsageLimit {
                    resets_at,
                    precision,
                    ..
                },
            ) => (r.label(), *resets_at, *precision),
            Some(r) => (r.label(), None, Precision::Minute),
            None => ("manual", None, Precision::Minute),
        };
        let margin =
            crate::decide::margin_after(precision, &self.policy.config.resume, self.policy.jitter);
        let until = resets_at
            .map(|at| crate::clock::clamp_wait(crate::clock::after(at, margin), self.now).0);
        let why = format!(
            "handed off to {to_key}; not resumed automatically at the reset while the work continues there"
        );
        self.fx.push(Effect::Disarm);
        if let Some(at) = until {
            self.fx.push(Effect::Arm(at));
        }
        self.s.phase = Phase::HandedOff {
            to: to_key.clone(),
            until,
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

    /// A handed-off session's limit has reset: resumed in place when so configured and the session it was
    /// handed to is no longer at work; otherwise a human is told.
    pub(super) fn reset_after_hand_off(&mut self) {
        let Phase::HandedOff { to, .. } = self.s.phase.clone() else {
            return;
        };
        let at_reset = self
            .policy
            .config
            .fallback
            .for_project(self.s.locator.cwd.as_deref())
            .at_reset;
        let busy = self.policy.available.busy.contains(&to);
        self.fx.push(Effect::Disarm);
        self.s.updated_at = self.now;
        let me = format!("{}", self.s.key.assistant);
        if at_reset == AtReset::Resume && !busy && !self.policy.paused {
            let ev = self
                .event(EventType::ResumeScheduled)
                .action(Action::SameSession.as_str())
                .message(format!(
                    "the usage limit of {me} has reset and {to} is no longer at work; resuming here (at_reset = resume)"
                ))
                .metadata(serde_json::json!({ "at": self.now, "handed_to": to.to_string() }));
            self.record(ev);
            self.start_attempt(Action::SameSession);
            return;
        }
        let still = if busy {
            format!("{to} is still at work on it")
        } else {
            format!("its work was handed to {to}")
        };
        let why = format!(
            "the usage limit of {me} has reset; {still}, so it is not resumed automatically \
             (two agents in one project would conflict); `palingenesis resume-session {}` resumes it here",
            self.s.key.id
        );
        self.s.phase = Phase::Stopped { why: why.clone() };
        let ev = self.event(EventType::NeedsAttention).message(why);
        self.record(ev);
    }
}

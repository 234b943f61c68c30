//! Plans and attempts: deciding what to do about a stop, starting a resume, what its reports mean, and an
//! assistant's own auto-continue (while it is armed nothing is started for the session; palingenesis steps in
//! exactly once when it is overdue, or when the assistant gives up on it for any reason but the user's own
//! cancel, which means "leave it").

use chrono::{Duration, TimeDelta};
use tracing::info;

use super::{AttemptReport, Effect, Machine};
use crate::audit::{AuditEvent, EventType};
use crate::config::SelfContinuePolicy;
use crate::decide::{self, Action, Plan};
use crate::engine::session::Phase;
use crate::model::{SelfContinue, StopReason, TurnOutcome};

/// After a headless process exits without telling how its turn went, observations get this long to do so.
const EXIT_GRACE_SECS: i64 = 15;

impl Machine<'_> {
    /// Decide what to do about the session's current stop and put the plan in place.
    pub(super) fn redecide(&mut self, reason: &StopReason) {
        let plan = decide::decide(
            reason,
            self.s.key.assistant,
            self.s.history(self.now),
            self.policy.config,
            self.now,
            self.policy.jitter,
        );
        if let Some(plan) = self.fallback(reason, plan) {
            self.apply_plan(plan, reason);
        }
    }

    fn apply_plan(&mut self, plan: Plan, reason: &StopReason) {
        self.s.updated_at = self.now;
        let mut probe = false;
        let (event, phase) = match plan {
            Plan::Resume { action, at, why } => {
                self.fx.push(Effect::Arm(at));
                // How the agent can be reached, for `palingenesis sessions` meanwhile; a resume due now
                // probes it itself (once per attempt).
                probe = at > self.now;
                let ev = AuditEvent::new(EventType::ResumeScheduled)
                    .action(action.as_str())
                    .message(why.clone())
                    .metadata(serde_json::json!({ "at": at, "attempt": self.s.attempts + 1 }));
                (
                    ev,
                    Phase::Waiting {
                        until: at,
                        action,
                        why,
                    },
                )
            }
            Plan::Notify { why } => {
                self.fx.push(Effect::Disarm);
                (
                    AuditEvent::new(EventType::NeedsAttention).message(why.clone()),
                    Phase::Stopped { why },
                )
            }
            Plan::Finish { why } => {
                self.fx.push(Effect::Disarm);
                (
                    AuditEvent::new(EventType::SessionDone).message(why.clone()),
                    Phase::Done { why },
                )
            }
            Plan::GiveUp { why } => {
                self.fx.push(Effect::Disarm);
                (
                    AuditEvent::new(EventType::SessionFailed).message(why.clone()),
                    Phase::Failed { why },
                )
            }
        };
        info!(session = %self.s.key, phase = ?phase, "plan");
        self.s.phase = phase;
        let ev = event
            .at(self.now)
            .session_key(&self.s.key)
            .reason(reason.label());
        self.record(ev);
        if probe {
            self.fx.push(Effect::Probe);
        }
        if matches!(reason, StopReason::UsageLimit { .. }) {
            self.fx.push(Effect::Stagger);
        }
    }

    /// Start a resume now.
    pub(super) fn start_attempt(&mut self, action: Action) {
        let now = self.now;
        let attempt_id = self.policy.next_attempt_id;
        let verify_by = crate::clock::after(
            now,
            crate::clock::secs(self.policy.config.resume.verify_timeout_secs),
        );
        self.s.record_resume_start(now);
        self.s.phase = Phase::Resuming {
            action,
            attempt_id,
            started_at: now,
            verify_by,
        };
        self.s.updated_at = now;
        let reason = self
            .s
            .last_stop
            .as_ref()
            .map(|s| s.reason.label())
            .unwrap_or("manual");
        self.fx.push(Effect::Arm(verify_by));
        let ev = self
            .event(EventType::ResumeStarted)
            .action(action.as_str())
            .reason(reason)
            .metadata(serde_json::json!({ "attempt": self.s.attempts, "attempt_id": attempt_id, "reach": self.s.reach() }));
        self.record(ev);
        self.fx.push(Effect::Spawn { action, attempt_id });
    }

    /// The attempt in flight did not work: record and decide again.
    pub(super) fn attempt_failed(&mut self, why: &str) {
        self.fx.push(Effect::CancelAttempt);
        let ev = self
            .event(EventType::ResumeFailed)
            .outcome("failed")
            .message(why.to_string());
        self.record(ev);
        match self.s.last_stop.as_ref().map(|r| r.reason.clone()) {
            Some(reason) => self.redecide(&reason),
            None => {
                self.s.phase = Phase::Stopped {
                    why: why.to_string(),
                };
                self.fx.push(Effect::Disarm);
            }
        }
    }

    /// A report of the attempt in flight.
    pub(super) fn attempt_report(&mut self, report: AttemptReport) {
        match report {
            AttemptReport::BackedUp { path } => {
                let ev = self
                    .event(EventType::SessionBackedUp)
                    .outcome("ok")
                    .metadata(serde_json::json!({ "path": path }));
                self.record(ev);
            }
            AttemptReport::BackupFailed { error } => {
                let ev = self
                    .event(EventType::SessionBackedUp)
                    .outcome("failed")
                    .message(error);
                self.record(ev);
            }
            // A hand-off that cannot start leaves the session to wait for its reset, as without fallback.
            AttemptReport::NeedsAttention { why }
                if matches!(
                    self.s.phase,
                    Phase::Resuming {
                        action: Action::HandOff { .. },
                        ..
                    }
                ) =>
            {
                self.attempt_failed(&format!("hand-off not started: {why}"));
            }
            AttemptReport::NeedsAttention { why } => {
                self.fx.push(Effect::Disarm);
                self.fx.push(Effect::ForgetAttempt);
                self.s.phase = Phase::Stopped { why: why.clone() };
                let ev = self.event(EventType::NeedsAttention).message(why);
                self.record(ev);
            }
            AttemptReport::Finished(TurnOutcome::Succeeded) => {
                self.s.updated_at = self.now;
                self.progress(self.now);
            }
            AttemptReport::Finished(TurnOutcome::Stopped { reason, evidence }) => {
                self.s.updated_at = self.now;
                self.stopped(reason, evidence, self.now, crate::model::Origin::Control);
            }
            AttemptReport::Finished(TurnOutcome::Delivered) => {
                info!(session = %self.s.key, "resume prompt delivered; waiting for progress");
            }
            AttemptReport::Finished(TurnOutcome::Exited { code }) => {
                let soon = self.now + TimeDelta::seconds(EXIT_GRACE_SECS);
                if let Phase::Resuming { verify_by, .. } = &mut self.s.phase {
                    *verify_by = (*verify_by).min(soon);
                    let at = *verify_by;
                    self.fx.push(Effect::Arm(at));
                }
                info!(session = %self.s.key, ?code, "resumed process exited without a verdict; waiting briefly for its output");
            }
            AttemptReport::Failed { why } => self.attempt_failed(&why),
        }
    }

    pub(super) fn self_continue(&mut self, signal: SelfContinue) {
        let now = self.now;
        let policy = self.policy.config.resume.self_continue;
        let grace = Duration::seconds(
            i64::try_from(self.policy.config.resume.self_continue_grace_secs)
                .unwrap_or(i64::MAX / 1000),
        );
        let stopped = matches!(
            self.s.phase,
            Phase::Waiting { .. } | Phase::Stopped { .. } | Phase::SelfContinuing { .. }
        );
        match signal {
            SelfContinue::Armed { at, evidence } => {
                if policy == SelfContinuePolicy::TakeOver || !stopped {
                    let ev = self
                        .event(EventType::SelfContinueArmed)
                        .outcome("ignored")
                        .message(evidence)
                        .metadata(serde_json::json!({ "at": at, "policy": policy }));
                    self.record(ev);
                    return;
                }
                let step_in_at = at.unwrap_or(now).checked_add_signed(grace).unwrap_or(now);
                self.s.phase = Phase::SelfContinuing { at, step_in_at };
                self.fx.push(Effect::Arm(step_in_at));
                info!(session = %self.s.key, ?at, %step_in_at, "the assistant continues by itself; staying out");
                let ev = self
                    .event(EventType::SelfContinueArmed)
                    .outcome("deferred")
                    .message(evidence)
                    .metadata(serde_json::json!({ "at": at, "step_in_at": step_in_at }));
                self.record(ev);
            }
            SelfContinue::Cancelled { by_user, evidence } => {
                if !matches!(self.s.phase, Phase::SelfContinuing { .. }) {
                    return;
                }
                self.fx.push(Effect::Disarm);
                if by_user {
                    let why =
                        "the user cancelled the assistant's own auto-continue; left for the user"
                            .to_string();
                    self.s.phase = Phase::Stopped { why: why.clone() };
                    let ev = self
                        .event(EventType::SelfContinueEnded)
                        .outcome("cancelled_by_user")
                        .message(evidence);
                    self.record(ev);
                    let ev = self.event(EventType::NeedsAttention).message(why);
                    self.record(ev);
                    return;
                }
                let ev = self
                    .event(EventType::SelfContinueEnded)
                    .outcome("stepping_in")
                    .message(evidence);
                self.record(ev);
                self.step_in();
            }
        }
    }

    /// The assistant's own continuation is overdue: act on the stop as palingenesis would have.
    pub(super) fn self_continue_overdue(&mut self) {
        let ev = self
            .event(EventType::SelfContinueEnded)
            .outcome("overdue")
            .message("the assistant did not continue by itself in time; stepping in".to_string());
        self.record(ev);
        self.step_in();
    }

    fn step_in(&mut self) {
        match self.s.last_stop.as_ref().map(|r| r.reason.clone()) {
            Some(reason) => self.redecide(&reason),
            None => self.s.phase = Phase::Running,
        }
    }
}

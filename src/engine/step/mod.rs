//! The per-session state machine as one pure function: [`step`] takes a session's state, one [`Input`], the
//! time and the [`Policy`], and returns the session's next state and the [`Effect`]s the engine shell must
//! carry out (arm or cancel its deadline, write audit events, start or cancel an attempt, look at its agent).
//! It reads no clock, touches no timer, file or channel: every transition is a table test
//! (`step/tests.rs`). The shell ([`super::Engine`]) is the only code that performs effects, and it saves
//! state whenever a step changed it.
//!
//! Phases: Running → Stopped | Waiting(until) | SelfContinuing(step_in_at) → Resuming(verify_by) → Running |
//! Waiting (retry) | Failed | Done.

mod attempt;
mod handoff;
mod stop;

use chrono::{DateTime, TimeDelta, Utc};
use tracing::debug;

use super::session::{Phase, TrackedSession};
use crate::audit::{AuditEvent, EventType};
use crate::config::Config;
use crate::decide::Action;
use crate::model::{Origin, SelfContinue, SessionKey, StopReason, TurnOutcome};

/// What a step may depend on besides the session and the time.
pub struct Policy<'a> {
    pub config: &'a Config,
    /// The daemon is paused: deadlines are held, nothing starts by itself.
    pub paused: bool,
    /// A sample in -1..=1 that spreads a planned resume (drawn by the shell; 0 in tests).
    pub jitter: f64,
    /// The id an attempt started by this step takes.
    pub next_attempt_id: u64,
    /// What the other assistants can take (`[fallback]`; empty when no project has it on).
    pub available: crate::decide::fallback::Availability,
}

/// One thing that happened to a session.
#[derive(Debug)]
pub enum Input {
    /// The session wrote new output (a transcript line, a finished turn of a resumed process).
    Progress { at: DateTime<Utc> },
    /// The agent retries by itself, next at `next` if it said.
    Retrying { next: Option<DateTime<Utc>> },
    /// The assistant's own auto-continue was armed or ended.
    SelfContinue(SelfContinue),
    /// The session stopped (already classified).
    Stopped {
        reason: StopReason,
        evidence: String,
        at: DateTime<Utc>,
        origin: Origin,
    },
    /// The session's deadline (wait, verification, step-in) fired.
    Deadline,
    /// `skip` (`action: None`: the planned action), `resume-session` or `new-session`: act now.
    ActNow { action: Option<Action> },
    /// `abort`: cancel whatever is pending.
    Abort,
    /// The daemon was un-paused: held deadlines count again.
    Unpaused,
    /// The daemon started again with this persisted state.
    Restarted,
    /// The session takes place `position` of `of` among sessions waiting for the same reset, resuming at `at`
    /// (`gap` apart).
    Staggered {
        at: DateTime<Utc>,
        position: usize,
        of: usize,
        gap: TimeDelta,
    },
    /// A report of attempt `attempt_id` (ignored unless it is the attempt in flight).
    Attempt {
        attempt_id: u64,
        report: AttemptReport,
    },
    /// The attempt in flight started session `new_id`, which continues this one.
    ContinuedIn { new_id: String },
    /// This session was started by an attempt of session `replaces` and took over its phase.
    Adopted { replaces: String },
}

/// What a running attempt reports.
#[derive(Debug)]
pub enum AttemptReport {
    BackedUp {
        path: std::path::PathBuf,
    },
    BackupFailed {
        error: String,
    },
    /// The attempt cannot act without a human.
    NeedsAttention {
        why: String,
    },
    /// The resumed turn ended (or was delivered into a terminal).
    Finished(TurnOutcome),
    /// The attempt could not run its turn.
    Failed {
        why: String,
    },
}

/// What the shell must do, in order, after storing the new state. The set is open: an addition (recording an
/// attempt in a journal before spawning it, asking the agent for a checkpoint, handing the session to a
/// fallback assistant) is a new variant the shell learns to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Set (or move) the session's one deadline.
    Arm(DateTime<Utc>),
    /// Clear the session's deadline.
    Disarm,
    /// Append to the audit trail.
    Record(AuditEvent),
    /// Start resume attempt `attempt_id` doing `action` (the session's state already says `Resuming`).
    Spawn { action: Action, attempt_id: u64 },
    /// Stop the attempt in flight.
    CancelAttempt,
    /// The attempt in flight is no longer tracked (verified, or handed to a human); its process is left alone.
    ForgetAttempt,
    /// Look at how the session's agent can be reached (for `palingenesis sessions`).
    Probe,
    /// Re-spread the sessions of this assistant that wait for the same usage-limit reset.
    Stagger,
    /// A control request cannot be carried out; the reply says why.
    Refuse(String),
}

/// The session's next state and what must be done, given `input` at `now`.
pub fn step(
    state: &TrackedSession,
    input: Input,
    now: DateTime<Utc>,
    policy: &Policy,
) -> (TrackedSession, Vec<Effect>) {
    let mut m = Machine {
        s: state.clone(),
        fx: Vec::new(),
        now,
        policy,
    };
    m.apply(input);
    (m.s, m.fx)
}

/// Whether `attempt_id` is the attempt `state` has in flight.
pub fn is_current(state: &TrackedSession, attempt_id: u64) -> bool {
    matches!(state.phase, Phase::Resuming { attempt_id: id, .. } if id == attempt_id)
}

/// The session that continues `old` after an attempt started `new_key` in its place: it takes over the
/// phase (the attempt in flight) and counts that attempt.
pub fn successor(
    old: &TrackedSession,
    new_key: SessionKey,
    locator: &crate::model::Locator,
    now: DateTime<Utc>,
) -> TrackedSession {
    // Another assistant's session (a hand-off) shares only the project directory with the old one.
    let mut new_locator = if new_key.assistant == old.key.assistant {
        old.locator.clone()
    } else {
        crate::model::Locator {
            cwd: old.locator.cwd.clone(),
            ..Default::default()
        }
    };
    new_locator.transcript = None;
    new_locator.merge(locator);
    let mut fresh = TrackedSession::new(new_key, new_locator, now);
    fresh.phase = old.phase.clone();
    fresh.resume_log = vec![now];
    fresh.attempts = 1;
    fresh.checkpoint.predecessor_asked = old.checkpoint.asked.last().copied();
    fresh
}

/// One step in progress: the state being changed and the effects so far.
struct Machine<'a> {
    s: TrackedSession,
    fx: Vec<Effect>,
    now: DateTime<Utc>,
    policy: &'a Policy<'a>,
}

impl Machine<'_> {
    fn apply(&mut self, input: Input) {
        match input {
            Input::Progress { at } => self.progress(at),
            Input::Retrying { next } => self.retrying(next),
            Input::SelfContinue(signal) => self.self_continue(signal),
            Input::Stopped {
                reason,
                evidence,
                at,
                origin,
            } => self.stopped(reason, evidence, at, origin),
            Input::Deadline => self.deadline(),
            Input::ActNow { action } => self.act_now(action),
            Input::Abort => self.abort(),
            Input::Unpaused => self.unpaused(),
            Input::Restarted => self.restarted(),
            Input::Staggered {
                at,
                position,
                of,
                gap,
            } => self.staggered(at, position, of, gap),
            Input::Attempt { attempt_id, report } => {
                if is_current(&self.s, attempt_id) {
                    self.attempt_report(report);
                } else {
                    debug!(session = %self.s.key, attempt_id, ?report, "report of a finished attempt; ignored");
                }
            }
            Input::ContinuedIn { new_id } => {
                if let Phase::Resuming {
                    action: Action::HandOff { to },
                    ..
                } = self.s.phase
                {
                    self.handed_off(to, new_id);
                    return;
                }
                self.fx.push(Effect::Disarm);
                let why = format!("continued in new session {new_id}");
                self.s.phase = Phase::Done { why: why.clone() };
                let ev = self.event(EventType::SessionDone).message(why);
                self.record(ev);
            }
            Input::Adopted { replaces } => {
                if let Some(deadline) = self.s.deadline() {
                    self.fx.push(Effect::Arm(deadline));
                }
                let mut meta = serde_json::json!({ "replaces": replaces });
                if let Some(threshold) = self.s.checkpoint.predecessor_asked {
                    // Its seed is the next-step file that session was asked to write before its context ran out.
                    meta["after_checkpoint_request"] = threshold.into();
                }
                let ev = self
                    .event(EventType::SessionCreated)
                    .action("new_session")
                    .metadata(meta);
                self.record(ev);
            }
        }
    }

    /// An audit event about this session, stamped now.
    fn event(&self, kind: EventType) -> AuditEvent {
        AuditEvent::new(kind).at(self.now).session_key(&self.s.key)
    }

    fn record(&mut self, event: AuditEvent) {
        self.fx.push(Effect::Record(event));
    }

    fn key(&self) -> &SessionKey {
        &self.s.key
    }

    fn deadline(&mut self) {
        let now = self.now;
        let slack = TimeDelta::milliseconds(500);
        match self.s.phase.clone() {
            Phase::Waiting { until, action, .. } => {
                if self.policy.paused {
                    debug!(session = %self.key(), "deadline reached while paused; holding");
                } else if until > now + slack {
                    self.fx.push(Effect::Arm(until));
                } else {
                    self.start_attempt(action);
                }
            }
            Phase::Resuming { verify_by, .. }
                if verify_by <= now + TimeDelta::milliseconds(100) =>
            {
                self.attempt_failed("no new assistant output after the resume");
            }
            Phase::Resuming { verify_by, .. } => self.fx.push(Effect::Arm(verify_by)),
            Phase::SelfContinuing { step_in_at, .. } => {
                if self.policy.paused {
                    debug!(session = %self.key(), "the assistant's continuation is overdue while paused; holding");
                } else if step_in_at > now + slack {
                    self.fx.push(Effect::Arm(step_in_at));
                } else {
                    self.self_continue_overdue();
                }
            }
            Phase::HandedOff { .. } => self.reset_after_hand_off(),
            _ => {}
        }
    }

    /// `skip`, `resume-session` or `new-session`.
    fn act_now(&mut self, forced: Option<Action>) {
        let action = match (&self.s.phase, forced) {
            (Phase::Resuming { .. }, _) => {
                let why = format!("{} is already being resumed", self.key());
                self.fx.push(Effect::Refuse(why));
                return;
            }
            (_, Some(a)) => a,
            (Phase::Waiting { action, .. }, None) => *action,
            (_, None) => {
                let why = format!("{} has no pending action to skip to", self.key());
                self.fx.push(Effect::Refuse(why));
                return;
            }
        };
        self.fx.push(Effect::Disarm);
        let ev = self
            .event(EventType::ResumeSkipped)
            .action(action.as_str())
            .message("acting now at the user's request".to_string());
        self.record(ev);
        self.start_attempt(action);
    }

    fn abort(&mut self) {
        self.fx.push(Effect::Disarm);
        self.fx.push(Effect::CancelAttempt);
        self.s.phase = Phase::Stopped {
            why: "aborted by the user; not resumed until it makes progress again".into(),
        };
        let ev = self
            .event(EventType::ResumeCancelled)
            .message("aborted by the user".to_string());
        self.record(ev);
    }

    /// After a restart: waits are armed again; an attempt that was in flight lost its process, so it is
    /// verified soon from observations, or retried.
    fn restarted(&mut self) {
        match &mut self.s.phase {
            Phase::Waiting { until, .. }
            | Phase::HandedOff {
                until: Some(until), ..
            } => self.fx.push(Effect::Arm(*until)),
            Phase::Resuming { verify_by, .. } => {
                let soon = self.now + TimeDelta::seconds(5);
                *verify_by = (*verify_by).min(soon);
                self.fx.push(Effect::Arm(soon));
            }
            _ => {}
        }
    }

    fn staggered(&mut self, at: DateTime<Utc>, position: usize, of: usize, gap: TimeDelta) {
        let Phase::Waiting { until, why, .. } = &mut self.s.phase else {
            return;
        };
        let base = why.split(ORDER_NOTE).next().unwrap_or_default().to_owned();
        let note = format!(
            "{base}{ORDER_NOTE}{position} of {of} sessions waiting for this reset (most recently active first, {}s apart)",
            gap.num_seconds()
        );
        let moved = *until != at;
        if !moved && *why == note {
            return;
        }
        *until = at;
        *why = note.clone();
        self.fx.push(Effect::Arm(at));
        if moved {
            tracing::info!(session = %self.s.key, %at, position, of, "resume staggered");
            let ev = self
                .event(EventType::ResumeScheduled)
                .message(note)
                .metadata(serde_json::json!({
                    "at": at, "position": position, "of": of, "staggered": true
                }));
            self.record(ev);
        }
    }
}

/// What a staggered plan's reason says about its place; replaced, not repeated, when the order changes.
const ORDER_NOTE: &str = " · order: ";

#[cfg(test)]
mod tests;

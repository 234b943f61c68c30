//! One tracked session and its state machine:
//! Running → Stopped | Waiting(until) → Resuming → Running | Waiting (retry) | Failed | Done.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::decide::{Action, History};
use crate::model::{AgentEnv, Locator, SessionKey, StopReason};
use crate::protocol::{PlannedActionView, SessionInfo, SessionStateView};

/// Where a session stands.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Working, or idle with nothing wrong.
    Running,
    /// Stopped and nothing planned: needs a human, unknown cause, stale, or aborted by the user.
    Stopped { why: String },
    /// A resume is planned at `until`.
    Waiting {
        until: DateTime<Utc>,
        action: Action,
        why: String,
    },
    /// A resume is in flight; it must show progress by `verify_by`.
    Resuming {
        action: Action,
        attempt_id: u64,
        started_at: DateTime<Utc>,
        verify_by: DateTime<Utc>,
    },
    /// The assistant continues by itself (its own auto-continue) at `at`; palingenesis steps in at
    /// `step_in_at` unless the session shows progress first.
    SelfContinuing {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
        step_in_at: DateTime<Utc>,
    },
    /// The work was handed to `to`, a new session of another assistant (`[fallback]`). At `until` (its limit's
    /// reset plus the margin) a human is told, or with `[fallback] at_reset = "resume"` it is resumed once `to`
    /// is no longer at work.
    HandedOff {
        to: SessionKey,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<DateTime<Utc>>,
        why: String,
    },
    /// Automatic resuming gave up.
    Failed { why: String },
    /// Finished on purpose (completed, user exit, replaced by a new session).
    Done { why: String },
}

/// How the last look at the session's agent found it reachable (what `palingenesis sessions` shows as REACH).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReachKind {
    /// No live agent: resumed by a new headless process.
    Headless,
    /// Typed into by its `palingenesis run` wrapper.
    Pty,
    /// Typed into its tmux pane.
    Tmux,
    /// Alive in a terminal palingenesis cannot (or must not) type into.
    NeedsAttention,
}

impl ReachKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReachKind::Headless => "headless",
            ReachKind::Pty => "pty",
            ReachKind::Tmux => "tmux",
            ReachKind::NeedsAttention => "needs_attention",
        }
    }
}

/// The stop that started the current episode.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StopRecord {
    pub reason: StopReason,
    pub at: DateTime<Utc>,
    pub evidence: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrackedSession {
    pub key: SessionKey,
    pub locator: Locator,
    pub phase: Phase,
    #[serde(default)]
    pub last_stop: Option<StopRecord>,
    /// Resume attempts for the current stop episode (reset by progress).
    #[serde(default)]
    pub attempts: u32,
    /// Start instants of recent resumes (pruned to the last hour).
    #[serde(default)]
    pub resume_log: Vec<DateTime<Utc>>,
    #[serde(default)]
    pub last_progress_at: Option<DateTime<Utc>>,
    /// The agent's environment as last seen (from its hook), used when resuming it.
    #[serde(default, skip_serializing_if = "AgentEnv::is_empty")]
    pub agent_env: AgentEnv,
    pub first_seen: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// How the agent was last found reachable (None: not looked at yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probed: Option<ReachKind>,
    /// How full its context is and which early-checkpoint requests it got (see [`crate::nextstep::early`]).
    #[serde(default, skip_serializing_if = "CheckpointTrack::is_empty")]
    pub checkpoint: CheckpointTrack,
}

/// A session's context and quota use and the early-checkpoint requests it got, kept across restarts so each
/// threshold (per usage window, for the quota) is asked about once.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CheckpointTrack {
    /// The latest context use its records or hooks reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<crate::model::ContextUse>,
    /// Thresholds (percent) already asked about (or found not to apply), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asked: Vec<u8>,
    /// The session this one replaced was asked to checkpoint (at this threshold) before its context ran out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predecessor_asked: Option<u8>,
    /// The latest quota use its records reported (the most used window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<crate::model::QuotaUse>,
    /// Quota windows and thresholds already asked about (or found not to apply), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quota_asked: Vec<crate::nextstep::early::QuotaAsked>,
    /// Its agent reports through palingenesis's hooks (a hook about it arrived), so an assistant whose hooks
    /// can ask is asked at the end of a turn; without them it is typed to at its idle prompt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hooked: bool,
}

impl CheckpointTrack {
    pub fn is_empty(&self) -> bool {
        *self == CheckpointTrack::default()
    }
}

impl TrackedSession {
    pub fn new(key: SessionKey, locator: Locator, now: DateTime<Utc>) -> Self {
        TrackedSession {
            key,
            locator,
            phase: Phase::Running,
            last_stop: None,
            attempts: 0,
            resume_log: Vec::new(),
            last_progress_at: None,
            agent_env: AgentEnv::default(),
            first_seen: now,
            updated_at: now,
            probed: None,
            checkpoint: CheckpointTrack::default(),
        }
    }

    pub fn resumes_last_hour(&self, now: DateTime<Utc>) -> u32 {
        let since = now - Duration::hours(1);
        self.resume_log.iter().filter(|t| **t > since).count() as u32
    }

    pub fn history(&self, now: DateTime<Utc>) -> History {
        History {
            attempts: self.attempts,
            resumes_last_hour: self.resumes_last_hour(now),
        }
    }

    pub fn record_resume_start(&mut self, now: DateTime<Utc>) {
        let since = now - Duration::hours(1);
        self.resume_log.retain(|t| *t > since);
        self.resume_log.push(now);
        self.attempts += 1;
    }

    /// The instant the engine has a deadline for, if any.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        match &self.phase {
            Phase::Waiting { until, .. } => Some(*until),
            Phase::Resuming { verify_by, .. } => Some(*verify_by),
            Phase::SelfContinuing { step_in_at, .. } => Some(*step_in_at),
            Phase::HandedOff { until, .. } => *until,
            _ => None,
        }
    }

    pub fn state_view(&self) -> SessionStateView {
        match self.phase {
            Phase::Running => SessionStateView::Running,
            Phase::Stopped { .. } => SessionStateView::Stopped,
            Phase::Waiting { .. } => SessionStateView::Waiting,
            Phase::SelfContinuing { .. } => SessionStateView::SelfContinuing,
            Phase::Resuming { .. } => SessionStateView::Resuming,
            Phase::HandedOff { .. } => SessionStateView::HandedOff,
            Phase::Failed { .. } => SessionStateView::Failed,
            Phase::Done { .. } => SessionStateView::Done,
        }
    }

    /// How a resume would reach this session: the last probe of its agent, else what the locator suggests.
    pub fn reach(&self) -> &'static str {
        match self.probed {
            Some(kind @ (ReachKind::Pty | ReachKind::Tmux | ReachKind::NeedsAttention)) => {
                kind.as_str()
            }
            _ if self.locator.server_url.is_some() => "api",
            Some(ReachKind::Headless) => "headless",
            None if self.locator.wrapper.is_some() => "pty",
            None if self.locator.tmux_pane.is_some() => "tmux",
            None => "headless",
        }
    }

    pub fn info(&self, now: DateTime<Utc>) -> SessionInfo {
        let next_action = match &self.phase {
            Phase::Waiting { until, action, why } => Some(PlannedActionView {
                action: action.as_str().to_string(),
                at: *until,
                reason: why.clone(),
            }),
            Phase::SelfContinuing { at, step_in_at } => Some(PlannedActionView {
                action: "step_in".into(),
                at: *step_in_at,
                reason: match at {
                    Some(at) => format!(
                        "the assistant continues by itself at {}; palingenesis steps in only if it has not by then",
                        at.format("%H:%M:%S UTC")
                    ),
                    None => "the assistant continues by itself shortly; palingenesis steps in only if it has not by then".into(),
                },
            }),
            Phase::Resuming { verify_by, .. } => Some(PlannedActionView {
                action: "verify".into(),
                at: *verify_by,
                reason: "a resume is in flight; progress must appear".into(),
            }),
            Phase::HandedOff {
                until: Some(at),
                why,
                ..
            } => Some(PlannedActionView {
                action: "at_reset".into(),
                at: *at,
                reason: why.clone(),
            }),
            _ => None,
        };
        SessionInfo {
            key: self.key.clone(),
            state: self.state_view(),
            last_stop: self.last_stop.as_ref().map(|s| s.reason.clone()),
            next_action,
            reach: self.reach().to_string(),
            resumes_last_hour: self.resumes_last_hour(now),
            locator: self.locator.clone(),
            updated_at: self.updated_at,
            context: self.checkpoint.context,
            quota: self.checkpoint.quota,
            parked: false,
        }
    }
}

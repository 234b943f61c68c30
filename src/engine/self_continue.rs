//! An assistant that continues a stopped turn by itself (Claude Code's auto-continue at usage limits). While it
//! is armed palingenesis types and spawns nothing for the session; it steps in exactly once when the
//! assistant's continuation is overdue, or when the assistant gives up on it for any reason but the user's
//! own cancel, which means "leave it".

use chrono::Duration;
use tracing::info;

use super::Engine;
use super::session::Phase;
use crate::audit::EventType;
use crate::config::SelfContinuePolicy;
use crate::model::{SelfContinue, SessionKey};

impl Engine {
    pub(super) fn on_self_continue(&mut self, key: &SessionKey, signal: SelfContinue) {
        let now = self.now();
        let policy = self.config.resume.self_continue;
        let grace = Duration::seconds(
            i64::try_from(self.config.resume.self_continue_grace_secs).unwrap_or(i64::MAX / 1000),
        );
        let sess = self.sessions.get_mut(key).expect("inserted by caller");
        let stopped = matches!(
            sess.phase,
            Phase::Waiting { .. } | Phase::Stopped { .. } | Phase::SelfContinuing { .. }
        );
        match signal {
            SelfContinue::Armed { at, evidence } => {
                if policy == SelfContinuePolicy::TakeOver || !stopped {
                    self.record(
                        self.event_for(EventType::SelfContinueArmed, key)
                            .outcome("ignored")
                            .message(evidence)
                            .metadata(serde_json::json!({ "at": at, "policy": policy })),
                    );
                    return;
                }
                let step_in_at = at.unwrap_or(now).checked_add_signed(grace).unwrap_or(now);
                sess.phase = Phase::SelfContinuing { at, step_in_at };
                self.dirty = true;
                self.timers.arm(key.clone(), step_in_at);
                info!(session = %key, ?at, %step_in_at, "the assistant continues by itself; staying out");
                self.record(
                    self.event_for(EventType::SelfContinueArmed, key)
                        .outcome("deferred")
                        .message(evidence)
                        .metadata(serde_json::json!({ "at": at, "step_in_at": step_in_at })),
                );
            }
            SelfContinue::Cancelled { by_user, evidence } => {
                if !matches!(sess.phase, Phase::SelfContinuing { .. }) {
                    return;
                }
                self.timers.disarm(key);
                if by_user {
                    let why =
                        "the user cancelled the assistant's own auto-continue; left for the user"
                            .to_string();
                    sess.phase = Phase::Stopped { why: why.clone() };
                    self.dirty = true;
                    self.record(
                        self.event_for(EventType::SelfContinueEnded, key)
                            .outcome("cancelled_by_user")
                            .message(evidence),
                    );
                    self.record(self.event_for(EventType::NeedsAttention, key).message(why));
                    return;
                }
                self.record(
                    self.event_for(EventType::SelfContinueEnded, key)
                        .outcome("stepping_in")
                        .message(evidence),
                );
                self.step_in(key);
            }
        }
    }

    /// The assistant's own continuation is overdue: act on the stop as palingenesis would have.
    pub(super) fn on_self_continue_overdue(&mut self, key: &SessionKey) {
        self.record(
            self.event_for(EventType::SelfContinueEnded, key)
                .outcome("overdue")
                .message(
                    "the assistant did not continue by itself in time; stepping in".to_string(),
                ),
        );
        self.step_in(key);
    }

    fn step_in(&mut self, key: &SessionKey) {
        let reason = self
            .sessions
            .get(key)
            .and_then(|s| s.last_stop.as_ref().map(|r| r.reason.clone()));
        match reason {
            Some(reason) => self.redecide(key, &reason),
            None => {
                if let Some(sess) = self.sessions.get_mut(key) {
                    sess.phase = Phase::Running;
                }
            }
        }
    }
}

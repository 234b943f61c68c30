//! What the engine does with reports from a running attempt.

use chrono::Utc;
use tracing::info;

use super::Engine;
use super::act::AttemptEvent;
use super::session::{Phase, TrackedSession};
use crate::audit::EventType;
use crate::model::TurnOutcome;
use crate::model::{Observation, Origin, SessionKey, Signal};

/// After a headless process exits without telling us how its turn went, observations get this long to do so.
const EXIT_GRACE_SECS: i64 = 15;

impl Engine {
    pub(super) fn on_attempt_event(
        &mut self,
        key: SessionKey,
        attempt_id: u64,
        event: AttemptEvent,
    ) {
        let current = matches!(
            self.sessions.get(&key).map(|s| &s.phase),
            Some(Phase::Resuming { attempt_id: id, .. }) if *id == attempt_id
        );
        if !current {
            tracing::debug!(session = %key, attempt_id, ?event, "report of a finished attempt; ignored");
            return;
        }
        match event {
            AttemptEvent::BackedUp { path } => self.record(
                self.event_for(EventType::SessionBackedUp, &key)
                    .outcome("ok")
                    .metadata(serde_json::json!({ "path": path })),
            ),
            AttemptEvent::BackupFailed { error } => self.record(
                self.event_for(EventType::SessionBackedUp, &key)
                    .outcome("failed")
                    .message(error),
            ),
            AttemptEvent::NewSession {
                key: new_key,
                locator,
            } => self.replace_session(&key, new_key, locator),
            AttemptEvent::NeedsAttention { why } => {
                self.timers.disarm(&key);
                self.attempts.remove(&key);
                let sess = self.sessions.get_mut(&key).expect("checked");
                sess.phase = Phase::Stopped { why: why.clone() };
                self.dirty = true;
                self.record(self.event_for(EventType::NeedsAttention, &key).message(why));
            }
            AttemptEvent::Finished(Ok(TurnOutcome::Succeeded)) => {
                self.on_observation(Observation {
                    session: key,
                    at: Utc::now(),
                    signal: Signal::Progress,
                    origin: Origin::Control,
                    locator: Default::default(),
                });
            }
            AttemptEvent::Finished(Ok(TurnOutcome::Stopped { reason, evidence })) => {
                self.on_observation(Observation {
                    session: key,
                    at: Utc::now(),
                    signal: Signal::Stopped { reason, evidence },
                    origin: Origin::Control,
                    locator: Default::default(),
                });
            }
            AttemptEvent::Finished(Ok(TurnOutcome::Delivered)) => {
                info!(session = %key, "resume prompt delivered; waiting for progress");
            }
            AttemptEvent::Finished(Ok(TurnOutcome::Exited { code })) => {
                let soon = Utc::now() + chrono::Duration::seconds(EXIT_GRACE_SECS);
                let sess = self.sessions.get_mut(&key).expect("checked");
                if let Phase::Resuming { verify_by, .. } = &mut sess.phase {
                    *verify_by = (*verify_by).min(soon);
                    let at = *verify_by;
                    self.timers.arm(key.clone(), at);
                }
                info!(session = %key, ?code, "resumed process exited without a verdict; waiting briefly for its output");
            }
            AttemptEvent::Finished(Err(error)) => self.attempt_failed(&key, &error.to_string()),
        }
    }

    /// The context strategy started `new_key` in place of `old`.
    fn replace_session(
        &mut self,
        old: &SessionKey,
        new_key: SessionKey,
        locator: crate::model::Locator,
    ) {
        let now = Utc::now();
        self.timers.disarm(old);
        let token = self.attempts.remove(old);
        let old_sess = self.sessions.get_mut(old).expect("checked");
        let moved_phase = std::mem::replace(
            &mut old_sess.phase,
            Phase::Done {
                why: format!("continued in new session {}", new_key.id),
            },
        );
        let mut new_locator = old_sess.locator.clone();
        new_locator.transcript = None;
        new_locator.merge(&locator);
        let mut fresh = TrackedSession::new(new_key.clone(), new_locator, now);
        fresh.phase = moved_phase;
        fresh.resume_log = vec![now];
        fresh.attempts = 1;
        if let Some(deadline) = fresh.deadline() {
            self.timers.arm(new_key.clone(), deadline);
        }
        self.sessions.insert(new_key.clone(), fresh);
        if let Some(token) = token {
            self.attempts.insert(new_key.clone(), token);
        }
        self.dirty = true;
        self.record(
            self.event_for(EventType::SessionCreated, &new_key)
                .action("new_session")
                .metadata(serde_json::json!({ "replaces": old.id })),
        );
        self.record(
            self.event_for(EventType::SessionDone, old)
                .message(format!("continued in new session {}", new_key.id)),
        );
    }
}

//! What the engine does with reports from a running attempt: each is an input of the session's state machine,
//! except a new session replacing the old one, which involves two sessions.

use super::Engine;
use super::act::AttemptEvent;
use super::step::{self, AttemptReport, Input};
use crate::model::SessionKey;

impl Engine {
    pub(super) fn on_attempt_event(
        &mut self,
        key: SessionKey,
        attempt_id: u64,
        event: AttemptEvent,
    ) {
        let report = match event {
            AttemptEvent::NewSession {
                key: new_key,
                locator,
            } => {
                let current = self
                    .sessions
                    .get(&key)
                    .is_some_and(|s| step::is_current(s, attempt_id));
                if current {
                    // journal hook: a kill before the next save must not leave the attempt on the old session.
                    self.journal.successor(crate::journal::SuccessorNote {
                        replaced: key.clone(),
                        attempt_id,
                        session: new_key.clone(),
                        locator: locator.clone(),
                    });
                    self.replace_session(&key, new_key, locator);
                } else {
                    tracing::debug!(session = %key, attempt_id, "new session of a finished attempt; ignored");
                }
                return;
            }
            AttemptEvent::BackedUp { path } => AttemptReport::BackedUp { path },
            // Typed errors end here, as what the audit trail and the user read.
            AttemptEvent::BackupFailed { error } => AttemptReport::BackupFailed {
                error: error.to_string(),
            },
            AttemptEvent::NeedsAttention { why } => AttemptReport::NeedsAttention {
                why: why.to_string(),
            },
            AttemptEvent::Finished(Ok(outcome)) => AttemptReport::Finished(outcome),
            AttemptEvent::Finished(Err(error)) => AttemptReport::Failed {
                why: error.to_string(),
            },
        };
        self.apply(&key, Input::Attempt { attempt_id, report });
    }

    /// Take-overs the previous daemon journaled and did not save (it was killed): put in place before the
    /// attempts in flight are looked at, so that each is judged by the session that does its work.
    pub(super) fn restore_successors(&mut self) {
        for note in self.journal.successors().to_vec() {
            let current = self
                .sessions
                .get(&note.replaced)
                .is_some_and(|s| step::is_current(s, note.attempt_id));
            if current && !self.sessions.contains_key(&note.session) {
                tracing::info!(
                    session = %note.replaced,
                    new_session = %note.session,
                    attempt_id = note.attempt_id,
                    "the attempt's new session, started before the restart, takes over"
                );
                self.replace_session(&note.replaced, note.session, note.locator);
            }
        }
    }

    /// The context strategy started `new_key` in place of `old`: the new session takes over the attempt in
    /// flight, the old one is done.
    fn replace_session(
        &mut self,
        old: &SessionKey,
        new_key: SessionKey,
        locator: crate::model::Locator,
    ) {
        let now = self.now();
        let fresh = step::successor(&self.sessions[old], new_key.clone(), &locator, now);
        self.sessions.insert(new_key.clone(), Box::new(fresh));
        self.dirty = true;
        if let Some(token) = self.attempts.remove(old) {
            self.attempts.insert(new_key.clone(), token);
        }
        self.apply(
            &new_key,
            Input::Adopted {
                replaces: old.id.clone(),
            },
        );
        self.apply(
            old,
            Input::ContinuedIn {
                new_id: new_key.id.clone(),
            },
        );
    }
}

//! Start-up reconciliation after a crash or kill -9: the journal's entries applied to the state file's
//! snapshot, and the attempts in flight when the previous daemon died looked up where they can be seen
//! (their process in `/proc`, their session's transcript). See [`crate::journal`].

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::engine::EngineSnapshot;
use crate::engine::session::{Phase, StopRecord, TrackedSession};
use crate::journal::{
    AttemptIntent, Entry, Loaded, SuccessorNote, marked_processes, marker_prefix,
};
use crate::model::{Observation, Origin, SessionKey};

/// What start-up learned from the journal.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Stops to feed to the engine again (it recognises the ones it already handled).
    pub stops: Vec<Observation>,
    /// Sessions whose attempt was in flight and whose transcript moved on since: the resume worked.
    pub moved_on: Vec<SessionKey>,
    /// Attempts the state file did not know and the journal put back.
    pub restored: Vec<SessionKey>,
    /// For the journal to start with.
    pub loaded: Loaded,
}

/// Read the journal in `state_dir` and reconcile `snapshot` with it and with what runs. Blocking.
pub fn recover(state_dir: &Path, snapshot: &mut EngineSnapshot) -> Recovered {
    let entries = crate::journal::read(&crate::journal::path_in(state_dir));
    let mut out = Recovered::default();
    for entry in &entries {
        match entry {
            Entry::Stop { observation, .. } => {
                let mut obs = observation.clone();
                // A stop found again at start-up: news for as long as a catch-up's.
                obs.origin = Origin::CatchUp;
                out.stops.push(obs);
            }
            Entry::Attempt { attempt, .. } => {
                if restore_attempt(snapshot, attempt) {
                    out.restored.push(attempt.session.clone());
                }
            }
            Entry::Successor { successor, .. } => {
                if state_missed(snapshot, successor) {
                    out.loaded.successors.push(successor.clone());
                }
            }
        }
    }
    out.loaded.entries = entries;
    let running = marked_processes(&marker_prefix(state_dir));
    for sess in &mut snapshot.sessions {
        let Phase::Resuming {
            attempt_id,
            started_at,
            ..
        } = sess.phase
        else {
            continue;
        };
        // The attempt belongs to the new session that took over: the engine puts it in place and judges the
        // attempt by it (the stopped session's transcript is not where its work goes).
        let taken_over_by = out
            .loaded
            .successors
            .iter()
            .find(|n| n.replaced == sess.key && n.attempt_id == attempt_id)
            .map(|n| n.session.clone());
        if let Some(proc) = running.get(&attempt_id) {
            let owner = taken_over_by.unwrap_or_else(|| sess.key.clone());
            out.loaded.live.insert(owner, (attempt_id, *proc));
        } else if taken_over_by.is_some() {
            continue;
        } else if let Some(at) = moved_on_since(sess, started_at) {
            sess.phase = Phase::Running;
            sess.attempts = 0;
            sess.last_progress_at = Some(at);
            out.moved_on.push(sess.key.clone());
        }
    }
    out
}

/// Put `attempt` in place unless the snapshot already saw it (or a later one). `true` when it did.
fn restore_attempt(snapshot: &mut EngineSnapshot, attempt: &AttemptIntent) -> bool {
    if snapshot.next_attempt_id > attempt.attempt_id {
        return false;
    }
    snapshot.next_attempt_id = attempt.attempt_id + 1;
    let idx = match snapshot
        .sessions
        .iter()
        .position(|s| s.key == attempt.session)
    {
        Some(i) => i,
        None => {
            snapshot.sessions.push(TrackedSession::new(
                attempt.session.clone(),
                attempt.locator.clone(),
                attempt.started_at,
            ));
            snapshot.sessions.len() - 1
        }
    };
    let sess = &mut snapshot.sessions[idx];
    sess.locator.merge(&attempt.locator);
    if let Some(stop) = &attempt.last_stop {
        sess.last_stop = Some(StopRecord {
            reason: stop.reason.clone(),
            at: stop.at,
            evidence: stop.evidence.clone(),
        });
    }
    sess.record_resume_start(attempt.started_at);
    sess.phase = Phase::Resuming {
        action: attempt.action,
        attempt_id: attempt.attempt_id,
        started_at: attempt.started_at,
        verify_by: attempt.verify_by,
    };
    sess.updated_at = attempt.started_at;
    true
}

/// Whether the state file still has `note`'s attempt on the stopped session and knows nothing of the new
/// one (the previous daemon died before saving the take-over).
fn state_missed(snapshot: &EngineSnapshot, note: &SuccessorNote) -> bool {
    let still_on_old = snapshot.sessions.iter().any(|s| {
        s.key == note.replaced
            && matches!(s.phase, Phase::Resuming { attempt_id, .. } if attempt_id == note.attempt_id)
    });
    still_on_old && !snapshot.sessions.iter().any(|s| s.key == note.session)
}

/// When `sess`'s transcript was last written, if after `since`.
fn moved_on_since(sess: &TrackedSession, since: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let transcript = sess.locator.transcript.as_ref()?;
    let modified: DateTime<Utc> = std::fs::metadata(transcript).ok()?.modified().ok()?.into();
    (modified > since).then_some(modified)
}

#[cfg(test)]
mod tests;

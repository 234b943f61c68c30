use super::*;
use crate::decide::Action;
use crate::engine::session::Phase;
use crate::journal::{AttemptIntent, StopNote};
use crate::model::{Assistant, Locator, StopReason};

fn key() -> SessionKey {
    SessionKey::new(Assistant::named("agent"), "s1".to_string())
}

fn intent(attempt_id: u64, transcript: &Path, started_at: DateTime<Utc>) -> AttemptIntent {
    AttemptIntent {
        session: key(),
        locator: Locator {
            transcript: Some(transcript.to_path_buf()),
            ..Locator::default()
        },
        last_stop: Some(StopNote {
            reason: StopReason::Unknown,
            at: started_at - chrono::Duration::seconds(5),
            evidence: "boom".into(),
        }),
        action: Action::SameSession,
        attempt_id,
        started_at,
        verify_by: started_at + chrono::Duration::seconds(60),
    }
}

fn journal_with(dir: &Path, entries: &[Entry]) {
    let text: String = entries
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    // A line torn by a kill mid-write is skipped.
    std::fs::write(
        crate::journal::path_in(dir),
        text + "{\"kind\":\"attempt\",\"se",
    )
    .unwrap();
}

#[test]
fn an_attempt_the_state_missed_is_put_back_and_judged_by_its_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let transcript = dir.path().join("s1.jsonl");
    std::fs::write(&transcript, "{}\n").unwrap();
    // The attempt started after the transcript was last written: nothing moved on.
    let started = Utc::now() + chrono::Duration::seconds(2);
    journal_with(
        dir.path(),
        &[Entry::Attempt {
            seq: 1,
            attempt: intent(4, &transcript, started),
        }],
    );
    let mut snap = EngineSnapshot {
        next_attempt_id: 4,
        ..EngineSnapshot::default()
    };
    let rec = recover(dir.path(), &mut snap);
    assert_eq!(rec.restored, vec![key()]);
    assert!(rec.moved_on.is_empty());
    assert_eq!(snap.next_attempt_id, 5);
    assert!(
        matches!(
            snap.sessions[0].phase,
            Phase::Resuming { attempt_id: 4, .. }
        ),
        "{:?}",
        snap.sessions[0].phase
    );
    assert_eq!(snap.sessions[0].attempts, 1, "the attempt counts");
    assert!(snap.sessions[0].last_stop.is_some());
    assert_eq!(rec.loaded.entries.len(), 1);
}

#[test]
fn an_attempt_whose_session_moved_on_is_not_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let transcript = dir.path().join("s1.jsonl");
    let started = Utc::now() - chrono::Duration::seconds(30);
    std::fs::write(&transcript, "{}\n{\"resumed\":true}\n").unwrap();
    journal_with(
        dir.path(),
        &[Entry::Attempt {
            seq: 1,
            attempt: intent(0, &transcript, started),
        }],
    );
    let mut snap = EngineSnapshot::default();
    let rec = recover(dir.path(), &mut snap);
    assert_eq!(rec.moved_on, vec![key()]);
    assert_eq!(snap.sessions[0].phase, Phase::Running);
}

#[test]
fn an_attempt_the_state_already_saw_is_left_to_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let transcript = dir.path().join("s1.jsonl");
    std::fs::write(&transcript, "{}\n").unwrap();
    journal_with(
        dir.path(),
        &[Entry::Attempt {
            seq: 1,
            attempt: intent(2, &transcript, Utc::now() + chrono::Duration::seconds(2)),
        }],
    );
    let mut snap = EngineSnapshot {
        next_attempt_id: 3,
        ..EngineSnapshot::default()
    };
    let rec = recover(dir.path(), &mut snap);
    assert!(rec.restored.is_empty());
    assert!(snap.sessions.is_empty());
}

#[test]
fn journaled_stops_come_back_as_catch_up_observations() {
    let dir = tempfile::tempdir().unwrap();
    let obs = Observation {
        session: key(),
        at: Utc::now(),
        signal: crate::model::Signal::Stopped {
            reason: StopReason::Unknown,
            evidence: "x".into(),
        },
        origin: Origin::Transcript,
        locator: Locator::default(),
    };
    journal_with(
        dir.path(),
        &[Entry::Stop {
            seq: 7,
            observation: obs.clone(),
        }],
    );
    let rec = recover(dir.path(), &mut EngineSnapshot::default());
    assert_eq!(rec.stops.len(), 1);
    assert_eq!(rec.stops[0].origin, Origin::CatchUp);
    assert_eq!(rec.stops[0].session, obs.session);
}

fn successor_key() -> SessionKey {
    SessionKey::new(Assistant::named("agent"), "s2".to_string())
}

fn take_over(attempt_id: u64, transcript: &Path) -> crate::journal::SuccessorNote {
    crate::journal::SuccessorNote {
        replaced: key(),
        attempt_id,
        session: successor_key(),
        locator: Locator {
            transcript: Some(transcript.to_path_buf()),
            ..Locator::default()
        },
    }
}

/// A new session took over the attempt and the daemon died before saving that: the take-over is handed to
/// the engine, and the stopped session is not judged by its own transcript (which the new session does not
/// write; here it moved on for another reason, and that is not the attempt's success).
#[test]
fn a_take_over_the_state_missed_is_handed_to_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("s1.jsonl");
    let new = dir.path().join("s2.jsonl");
    let started = Utc::now() - chrono::Duration::seconds(30);
    std::fs::write(&old, "{}\n{\"later\":true}\n").unwrap();
    let mut attempt = intent(4, &old, started);
    attempt.action = Action::NewSession;
    journal_with(
        dir.path(),
        &[
            Entry::Attempt { seq: 1, attempt },
            Entry::Successor {
                seq: 2,
                successor: take_over(4, &new),
            },
        ],
    );
    let mut snap = EngineSnapshot {
        next_attempt_id: 4,
        ..EngineSnapshot::default()
    };
    let rec = recover(dir.path(), &mut snap);
    assert_eq!(rec.loaded.successors, vec![take_over(4, &new)]);
    assert!(rec.moved_on.is_empty(), "{:?}", rec.moved_on);
    assert!(matches!(
        snap.sessions[0].phase,
        Phase::Resuming { attempt_id: 4, .. }
    ));
}

/// The state file saw the take-over (the new session is in it), or the attempt is over: nothing to redo.
#[test]
fn a_take_over_the_state_saw_is_left_to_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("s1.jsonl");
    let new = dir.path().join("s2.jsonl");
    std::fs::write(&old, "{}\n").unwrap();
    let started = Utc::now() + chrono::Duration::seconds(2);
    journal_with(
        dir.path(),
        &[Entry::Successor {
            seq: 2,
            successor: take_over(4, &new),
        }],
    );
    let mut resuming = TrackedSession::new(key(), Locator::default(), started);
    resuming.phase = Phase::Resuming {
        action: Action::NewSession,
        attempt_id: 4,
        started_at: started,
        verify_by: started + chrono::Duration::seconds(60),
    };
    let mut successor = resuming.clone();
    successor.key = successor_key();
    let mut snap = EngineSnapshot {
        sessions: vec![resuming.clone(), successor],
        next_attempt_id: 5,
        ..EngineSnapshot::default()
    };
    assert!(recover(dir.path(), &mut snap).loaded.successors.is_empty());

    // A later attempt is in flight on the stopped session: the note is about an older one.
    resuming.phase = Phase::Resuming {
        action: Action::NewSession,
        attempt_id: 5,
        started_at: started,
        verify_by: started + chrono::Duration::seconds(60),
    };
    let mut snap = EngineSnapshot {
        sessions: vec![resuming],
        next_attempt_id: 6,
        ..EngineSnapshot::default()
    };
    assert!(recover(dir.path(), &mut snap).loaded.successors.is_empty());
}

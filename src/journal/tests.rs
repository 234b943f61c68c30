use super::*;
use crate::audit::{AuditLog, EventType};
use crate::model::{Assistant, Signal};

fn stop_observation(id: &str) -> Observation {
    Observation {
        session: SessionKey::new(Assistant::named("agent"), id.to_string()),
        at: Utc::now(),
        signal: Signal::Stopped {
            reason: StopReason::Unknown,
            evidence: "boom".into(),
        },
        origin: crate::model::Origin::Transcript,
        locator: Locator::default(),
    }
}

#[tokio::test]
async fn an_audit_event_leaves_only_after_the_stops_before_it_are_in_the_journal_and_saves_compact_them()
 {
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let (audit, _task) =
        AuditWriter::spawn(AuditLog::open(&audit_path, Default::default()).unwrap());
    let mut live = audit.subscribe();
    let path = path_in(dir.path());
    let journal = Journal::start(path.clone(), dir.path(), audit.clone(), Loaded::default());

    journal.stop(&stop_observation("s1"));
    journal.audit(AuditEvent::new(EventType::StopDetected).session("s1".to_string()));
    // When the audit event is out, the stop is in the journal.
    let _ = live.recv().await.unwrap();
    let entries = read(&path);
    assert!(
        matches!(&entries[..], [Entry::Stop { seq: 1, observation }] if observation.session.id == "s1"),
        "{entries:?}"
    );
    assert_eq!(journal.last_seq(), 1);

    // An attempt's intent is durable when its wait ends.
    journal
        .attempt(AttemptIntent {
            session: SessionKey::new(Assistant::named("agent"), "s1".to_string()),
            locator: Locator::default(),
            last_stop: None,
            action: Action::SameSession,
            attempt_id: 0,
            started_at: Utc::now(),
            verify_by: Utc::now(),
        })
        .await;
    assert_eq!(read(&path).len(), 2);

    // A save covering the stop drops it; the attempt stays until a later save.
    journal.compact(1);
    journal.flush().await;
    journal.compact(2);
    journal.flush().await;
    assert!(read(&path).is_empty(), "{:?}", read(&path));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    assert_eq!(journal.marker(7), format!("{}#7", dir.path().display()));
}

//! Tests for [`follow`] and [`AuditWriter`]. Waits are bounded by a timeout, never fixed sleeps.

use std::fs;
use std::io::Write;
use std::time::Duration as StdDuration;

use tokio::sync::mpsc;
use tokio::time::timeout;

use super::super::*;
use super::{ev, line_len, seqs, trail};

const WAIT: StdDuration = StdDuration::from_secs(10);

async fn next_n(rx: &mut mpsc::Receiver<AuditEvent>, n: usize) -> Vec<AuditEvent> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        match timeout(WAIT, rx.recv()).await {
            Ok(Some(e)) => got.push(e),
            Ok(None) => panic!("follower ended after {} events", got.len()),
            Err(_) => panic!(
                "timed out after {} of {n} events: {:?}",
                got.len(),
                seqs(&got)
            ),
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_sends_backlog_then_new_events_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let log = AuditLog::open(
        &path,
        AuditOptions {
            max_bytes: line_len() * 3,
            keep: 100,
        },
    )
    .unwrap();
    for i in 10..17 {
        log.append(&ev(i)).unwrap();
    }
    let (tx, mut rx) = mpsc::channel(16);
    let q = AuditQuery {
        limit: Some(2),
        ..Default::default()
    };
    let follower = tokio::spawn(follow(path.clone(), q, tx));
    assert_eq!(seqs(&next_n(&mut rx, 2).await), vec![15, 16]);

    for i in 17..60 {
        log.append(&ev(i)).unwrap();
    }
    assert_eq!(
        seqs(&next_n(&mut rx, 43).await),
        (17..60).collect::<Vec<_>>()
    );

    drop(rx);
    log.append(&ev(60)).unwrap();
    timeout(WAIT, follower).await.unwrap().unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_waits_for_a_trail_that_does_not_exist_yet_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let (tx, mut rx) = mpsc::channel(16);
    let q = AuditQuery {
        types: vec![EventType::ResumeFailed],
        ..Default::default()
    };
    let follower = tokio::spawn(follow(path.clone(), q, tx));

    let log = AuditLog::open(&path, AuditOptions::default()).unwrap();
    log.append(&ev(1)).unwrap();
    log.append(&AuditEvent::new(EventType::ResumeFailed).meta("seq", 2))
        .unwrap();
    assert_eq!(seqs(&next_n(&mut rx, 1).await), vec![2]);

    drop(rx);
    timeout(WAIT, follower).await.unwrap().unwrap().unwrap();
}

/// The directory may appear only after the follower started: it then polls (or watches, if the
/// directory won the race) and still sees new events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_a_trail_whose_directory_does_not_exist_yet() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    assert!(!path.parent().unwrap().exists());
    let (tx, mut rx) = mpsc::channel(16);
    let follower = tokio::spawn(follow(path.clone(), AuditQuery::default(), tx));

    let log = AuditLog::open(&path, AuditOptions::default()).unwrap();
    log.append(&ev(3)).unwrap();
    assert_eq!(seqs(&next_n(&mut rx, 1).await), vec![3]);
    drop(rx);
    timeout(WAIT, follower).await.unwrap().unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_emits_a_line_only_once_it_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let text = serde_json::to_string(&ev(7)).unwrap();
    let (head, rest) = text.split_at(text.len() / 2);
    fs::write(&path, head).unwrap();

    let (tx, mut rx) = mpsc::channel(16);
    let follower = tokio::spawn(follow(path.clone(), AuditQuery::default(), tx));
    let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(rest.as_bytes()).unwrap();
    f.write_all(b"\n").unwrap();
    let mut more = serde_json::to_vec(&ev(8)).unwrap();
    more.push(b'\n');
    f.write_all(&more).unwrap();
    assert_eq!(seqs(&next_n(&mut rx, 2).await), vec![7, 8]);

    drop(rx);
    f.write_all(b"\n").unwrap();
    timeout(WAIT, follower).await.unwrap().unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_records_flushes_and_broadcasts_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let log = AuditLog::open(
        &path,
        AuditOptions {
            max_bytes: 4096,
            keep: 100,
        },
    )
    .unwrap();
    let (writer, task) = AuditWriter::spawn(log);
    let mut live = writer.subscribe();

    let other = writer.clone();
    for i in 0..500 {
        let w = if i % 2 == 0 { &writer } else { &other };
        w.record(ev(i));
    }
    writer.flush().await;
    let got = query(&path, &AuditQuery::default()).unwrap();
    assert_eq!(seqs(&got.events), (0..500).collect::<Vec<_>>());

    for i in 0..500 {
        let e = timeout(WAIT, live.recv()).await.unwrap().unwrap();
        assert_eq!(seqs(&[std::sync::Arc::unwrap_or_clone(e)]), vec![i]);
    }

    drop(writer);
    other.record(ev(500));
    drop(other);
    timeout(WAIT, task).await.unwrap().unwrap();
    assert_eq!(
        query(&path, &AuditQuery::default()).unwrap().events.len(),
        501,
        "events recorded before the last handle dropped are written"
    );
}

#[tokio::test]
async fn flush_with_nothing_recorded_returns() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(trail(dir.path()), AuditOptions::default()).unwrap();
    let (writer, _task) = AuditWriter::spawn(log);
    timeout(WAIT, writer.flush()).await.unwrap();
}

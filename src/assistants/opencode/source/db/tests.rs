//! The opencode database reader against a store with opencode's schema.
use super::*;
use serde_json::json;

/// The tables and columns of opencode 1.18.33's store that palingenesis reads.
fn store(dir: &Path) -> (PathBuf, Connection) {
    let path = dir.join("opencode.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE session (id TEXT PRIMARY KEY, parent_id TEXT, directory TEXT NOT NULL,
                               time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
         CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL,
                               time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL,
                               data TEXT NOT NULL);",
    )
    .unwrap();
    (path, conn)
}

fn session(conn: &Connection, id: &str, parent: Option<&str>) {
    conn.execute(
        "INSERT INTO session VALUES (?1, ?2, '/w', 1, 1)",
        rusqlite::params![id, parent],
    )
    .unwrap();
}

fn message(conn: &Connection, id: &str, session: &str, created: i64, updated: i64, data: Value) {
    conn.execute(
        "INSERT OR REPLACE INTO message VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![id, session, created, updated, data.to_string()],
    )
    .unwrap();
}

fn rate_limited() -> Value {
    json!({"role": "assistant", "time": {"created": 10, "completed": 1795484120466i64},
           "error": {"name": "APIError", "data": {"message": "Rate limit reached", "statusCode": 429,
                     "isRetryable": true, "responseHeaders": {"retry-after-ms": "20"}}}})
}

#[test]
fn changed_sessions_report_their_last_message_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, conn) = store(tmp.path());
    session(&conn, "ses_a", None);
    session(&conn, "ses_sub", Some("ses_a"));
    message(
        &conn,
        "msg_1",
        "ses_a",
        5,
        5,
        json!({"role": "user", "time": {"created": 5}}),
    );
    message(&conn, "msg_2", "ses_a", 10, 20, rate_limited());
    message(&conn, "msg_3", "ses_sub", 10, 30, rate_limited());

    let (changed, mark) = changed_since(&db, 0).unwrap();
    assert_eq!(mark, 20, "the subagent's session is not looked at");
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].session, "ses_a");
    assert_eq!(changed[0].directory, PathBuf::from("/w"));
    assert_eq!(changed[0].last["id"], "msg_2");
    let ctx = ClassifyContext::new(Utc::now(), crate::tz::Tz::UTC);
    let obs = observation(&changed[0], &ctx, None).unwrap();
    assert_eq!(obs.origin, Origin::Database);
    assert_eq!(obs.locator.server_url, None);
    let shared = observation(&changed[0], &ctx, Some("http://127.0.0.1:4096".into())).unwrap();
    assert_eq!(
        shared.locator.server_url.as_deref(),
        Some("http://127.0.0.1:4096"),
        "reached through the server sharing the database"
    );
    assert_eq!(obs.at.timestamp_millis(), 1795484120466);
    assert!(matches!(
        obs.signal,
        Signal::Stopped {
            reason: crate::model::StopReason::RateLimit {
                retry_after_secs: Some(1)
            },
            ..
        }
    ));

    assert!(
        changed_since(&db, mark).unwrap().0.is_empty(),
        "nothing new since the mark"
    );
    message(
        &conn,
        "msg_4",
        "ses_a",
        30,
        40,
        json!({"role": "user", "time": {"created": 30}}),
    );
    let (changed, mark) = changed_since(&db, mark).unwrap();
    assert_eq!(mark, 40);
    assert_eq!(changed[0].last["role"], "user");
    assert_eq!(
        observation(&changed[0], &ctx, None),
        None,
        "a turn in flight says nothing yet"
    );
}

#[test]
fn the_mark_starts_no_earlier_than_the_freshness_window() {
    let db = Path::new("/x/opencode.db");
    let fresh = Duration::from_secs(900);
    let floor = Utc::now().timestamp_millis() - 900_000;
    let none = initial_mark(&BTreeMap::new(), db, fresh);
    assert!((none - floor).abs() < 5_000);
    let old: BTreeMap<PathBuf, u64> = [(db.to_path_buf(), 5)].into();
    assert!((initial_mark(&old, db, fresh) - floor).abs() < 5_000);
    let recent = (Utc::now().timestamp_millis() - 1_000) as u64;
    let kept: BTreeMap<PathBuf, u64> = [(db.to_path_buf(), recent)].into();
    assert_eq!(initial_mark(&kept, db, fresh), recent as i64);
}

#[tokio::test]
async fn a_database_that_appears_later_is_found_through_notify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("opencode");
    let db = dir.join("opencode.db");
    let (tx, mut rx) = mpsc::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(follow(db.clone(), 0, None, tx, stop.clone()));
    // Let the watcher settle on the ancestor before the folder appears.
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::create_dir_all(&dir).unwrap();
    let (_, conn) = store(&dir);
    session(&conn, "ses_late", None);
    message(&conn, "msg_1", "ses_late", 10, 20, rate_limited());
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match rx.recv().await {
                Some(SourceEvent::Observe(obs)) => return obs,
                Some(_) => continue,
                None => panic!("follower ended"),
            }
        }
    })
    .await
    .expect("the new database is read");
    assert_eq!(got.session.id, "ses_late");
    stop.cancel();
    task.await.unwrap();
}

//! Unit tests for appending, rotation and querying. Following and the async writer: `tests/live.rs`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};

use super::*;

mod live;

pub(super) fn base() -> DateTime<Utc> {
    "2025-06-01T12:00:00Z".parse().unwrap()
}

/// Event number `seq`, stamped `seq` seconds after [`base`].
pub(super) fn ev(seq: i64) -> AuditEvent {
    AuditEvent::new(EventType::StopDetected)
        .at(base() + Duration::seconds(seq))
        .session("s1")
        .meta("seq", seq)
}

pub(super) fn seqs(events: &[AuditEvent]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e.metadata["seq"].as_i64().unwrap())
        .collect()
}

pub(super) fn trail(dir: &Path) -> PathBuf {
    dir.join("state/audit.jsonl")
}

fn all(path: &Path) -> QueryResult {
    query(path, &AuditQuery::default()).unwrap()
}

fn opts(max_bytes: u64, keep: usize) -> AuditOptions {
    AuditOptions { max_bytes, keep }
}

#[test]
fn appends_one_line_per_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let log = AuditLog::open(&path, AuditOptions::default()).unwrap();
    for i in 0..3 {
        log.append(&ev(i)).unwrap();
    }
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.ends_with('\n'));
    let got = all(&path);
    assert_eq!(seqs(&got.events), vec![0, 1, 2]);
    assert_eq!(got.corrupt_lines, 0);
}

pub(super) fn line_len() -> u64 {
    serde_json::to_vec(&ev(10)).unwrap().len() as u64 + 1
}

#[test]
fn rotation_bounds_files_and_drops_beyond_keep() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    // Three lines per file.
    let max = line_len() * 3 + 5;
    let log = AuditLog::open(&path, opts(max, 2)).unwrap();
    for i in 10..30 {
        log.append(&ev(i)).unwrap();
    }
    assert!(files::rotated_path(&path, 2).exists());
    assert!(!files::rotated_path(&path, 3).exists());
    for p in [
        path.clone(),
        files::rotated_path(&path, 1),
        files::rotated_path(&path, 2),
    ] {
        assert!(fs::metadata(&p).unwrap().len() <= max, "{}", p.display());
    }
    // 20 events: files of 3, 3 and the last 2 in the current file: the newest 8 survive, in order.
    assert_eq!(seqs(&all(&path).events), (22..30).collect::<Vec<_>>());
}

#[test]
fn large_keep_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let log = AuditLog::open(&path, opts(line_len() * 2, 100)).unwrap();
    for i in 10..60 {
        log.append(&ev(i)).unwrap();
    }
    assert!(files::rotated_path(&path, 24).exists());
    assert_eq!(seqs(&all(&path).events), (10..60).collect::<Vec<_>>());
}

#[test]
fn keep_zero_discards_old_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let log = AuditLog::open(&path, opts(line_len() * 2, 0)).unwrap();
    for i in 10..15 {
        log.append(&ev(i)).unwrap();
    }
    assert!(!files::rotated_path(&path, 1).exists());
    assert_eq!(seqs(&all(&path).events), vec![14]);
}

#[test]
fn a_rotation_by_another_handle_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let o = opts(line_len() * 3, 100);
    // Two handles behave like two processes: separate descriptors and separate OS locks.
    let a = AuditLog::open(&path, o).unwrap();
    let b = AuditLog::open(&path, o).unwrap();
    for i in 10..50 {
        let log = if i % 3 == 0 { &a } else { &b };
        log.append(&ev(i)).unwrap();
    }
    assert_eq!(seqs(&all(&path).events), (10..50).collect::<Vec<_>>());
    for n in 1..=13 {
        let p = files::rotated_path(&path, n);
        assert_eq!(
            fs::read_to_string(&p).unwrap().lines().count(),
            3,
            "{}",
            p.display()
        );
    }
}

#[test]
fn a_line_longer_than_the_cap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let log = AuditLog::open(&path, AuditOptions::default()).unwrap();
    let huge = ev(1).message("x".repeat(MAX_LINE_BYTES));
    assert!(matches!(
        log.append(&huge),
        Err(AuditError::LineTooLong { .. })
    ));
    log.append(&ev(2)).unwrap();
    assert_eq!(seqs(&all(&path).events), vec![2]);
}

fn line(seq: i64) -> String {
    serde_json::to_string(&ev(seq)).unwrap() + "\n"
}

#[test]
fn corrupt_lines_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut rotated = line(1);
    rotated += "not json at all\n";
    rotated += &line(2);
    rotated += "{\"ts\":\"2025-06-01T12:00:03Z\",\"event\":\"Stop"; // cut short by a crash
    fs::write(files::rotated_path(&path, 1), rotated).unwrap();

    let mut current = line(3);
    current += "\n"; // blank: ignored, not corrupt
    current += "{\"event\": \"StopDetected\"}\n"; // no timestamp
    current += &"y".repeat(MAX_LINE_BYTES + 10);
    current += "\n";
    current += &line(4);
    current += line(5).trim_end(); // complete but unterminated: taken
    fs::write(&path, current).unwrap();

    let got = all(&path);
    assert_eq!(seqs(&got.events), vec![1, 2, 3, 4, 5]);
    assert_eq!(got.corrupt_lines, 4);
}

#[test]
fn an_unterminated_garbage_tail_of_the_live_file_is_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    fs::write(&path, line(1) + "{\"ts\":\"2025").unwrap();
    let got = all(&path);
    assert_eq!(seqs(&got.events), vec![1]);
    assert_eq!(got.corrupt_lines, 0);
}

#[test]
fn an_append_after_a_torn_line_starts_a_new_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    fs::write(&path, line(1) + "{\"ts\":\"2025-06-01T12:").unwrap();
    let log = AuditLog::open(&path, AuditOptions::default()).unwrap();
    log.append(&ev(2)).unwrap();
    let got = all(&path);
    assert_eq!(seqs(&got.events), vec![1, 2]);
    assert_eq!(got.corrupt_lines, 1);
}

#[test]
fn query_of_a_missing_trail_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(all(&trail(dir.path())), QueryResult::default());
}

fn filter_fixture(dir: &Path) -> PathBuf {
    let path = trail(dir);
    let log = AuditLog::open(&path, opts(600, 50)).unwrap();
    let kinds = [
        EventType::StopDetected,
        EventType::ResumeScheduled,
        EventType::ResumeCompleted,
    ];
    for i in 0..30i64 {
        let mut e = AuditEvent::new(kinds[i as usize % 3])
            .at(base() + Duration::seconds(i))
            .meta("seq", i);
        e = match i % 5 {
            0 => e
                .assistant(crate::assistants::claude::ASSISTANT)
                .session("abc"),
            1 => e
                .assistant(crate::assistants::codex::ASSISTANT)
                .session("abc"),
            2 => e.session("xyz"),
            _ => e,
        };
        log.append(&e).unwrap();
    }
    let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"ts\":\"2025-06-01T12:00:40Z\",\"event\":\"FromTheFuture\",\"metadata\":{\"seq\":40}}\n")
        .unwrap();
    path
}

#[rstest::rstest]
#[case::everything(AuditQuery::default(), (0..30).chain([40]).collect())]
#[case::one_type(
    AuditQuery { types: vec![EventType::ResumeCompleted], ..Default::default() },
    vec![2, 5, 8, 11, 14, 17, 20, 23, 26, 29],
)]
#[case::two_types_and_unknown(
    AuditQuery { types: vec![EventType::ResumeScheduled, EventType::Unknown], limit: Some(3), ..Default::default() },
    vec![25, 28, 40],
)]
#[case::since_inclusive_until_exclusive(
    AuditQuery {
        since: Some(base() + Duration::seconds(10)),
        until: Some(base() + Duration::seconds(13)),
        ..Default::default()
    },
    vec![10, 11, 12],
)]
#[case::session_id(
    AuditQuery { session: Some("abc".into()), until: Some(base() + Duration::seconds(12)), ..Default::default() },
    vec![0, 1, 5, 6, 10, 11],
)]
#[case::assistant_and_session(
    AuditQuery { session: Some("codex:abc".into()), ..Default::default() },
    vec![1, 6, 11, 16, 21, 26],
)]
#[case::session_without_assistant(
    AuditQuery { session: Some("claude:xyz".into()), ..Default::default() },
    vec![],
)]
#[case::limit_keeps_the_newest(
    AuditQuery { session: Some("xyz".into()), limit: Some(2), ..Default::default() },
    vec![22, 27],
)]
#[case::limit_zero(AuditQuery { limit: Some(0), ..Default::default() }, vec![])]
fn query_filters(#[case] q: AuditQuery, #[case] want: Vec<i64>) {
    let dir = tempfile::tempdir().unwrap();
    let path = filter_fixture(dir.path());
    assert!(
        files::rotated_path(&path, 2).exists(),
        "fixture spans rotated files"
    );
    let got = query(&path, &q).unwrap();
    assert_eq!(seqs(&got.events), want);
    assert_eq!(got.corrupt_lines, 0);
}

#[test]
fn scan_hands_over_what_query_returns_across_rotated_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = filter_fixture(dir.path());
    let q = AuditQuery {
        types: vec![EventType::ResumeCompleted],
        ..Default::default()
    };
    let mut seen = Vec::new();
    let corrupt = scan(&path, &q, &mut |e| seen.push(e)).unwrap();
    assert_eq!(corrupt, 0);
    assert_eq!(seen, query(&path, &q).unwrap().events);
    assert_eq!(seen.len(), 10);
}

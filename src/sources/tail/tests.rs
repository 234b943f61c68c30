use std::fs::OpenOptions;
use std::io::Write;

use super::*;

fn append(path: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.jsonl");
    (dir, path)
}

#[test]
fn reads_only_new_lines_in_order() {
    let (_dir, path) = setup();
    append(&path, b"{\"a\":1}\n{\"a\":2}\n");
    let mut tail = JsonlTail::new(&path, 0);
    let batch = tail.read_new().unwrap();
    assert_eq!(batch.lines, ["{\"a\":1}", "{\"a\":2}"]);
    assert!(batch.from_start);
    assert_eq!(tail.resume_offset(), 16);

    assert_eq!(tail.read_new().unwrap().lines, Vec::<String>::new());
    append(&path, b"{\"a\":3}\r\n\n{\"a\":4}\n");
    let batch = tail.read_new().unwrap();
    assert_eq!(batch.lines, ["{\"a\":3}", "{\"a\":4}"]);
    assert!(!batch.from_start);
    assert!(!batch.restarted);
}

#[test]
fn partial_line_is_delivered_whole_once_completed() {
    let (_dir, path) = setup();
    append(&path, b"{\"a\":1}\n{\"b\":");
    let mut tail = JsonlTail::new(&path, 0);
    assert_eq!(tail.read_new().unwrap().lines, ["{\"a\":1}"]);
    assert_eq!(
        tail.resume_offset(),
        8,
        "resume offset stays at the start of the incomplete line"
    );
    append(&path, b"\"x");
    assert!(tail.read_new().unwrap().lines.is_empty());
    append(&path, b"yz\"}\n");
    assert_eq!(tail.read_new().unwrap().lines, ["{\"b\":\"xyz\"}"]);
    assert_eq!(tail.resume_offset(), 20);
}

#[test]
fn resuming_at_resume_offset_repeats_nothing() {
    let (_dir, path) = setup();
    append(&path, b"one\ntw");
    let mut first = JsonlTail::new(&path, 0);
    assert_eq!(first.read_new().unwrap().lines, ["one"]);
    append(&path, b"o\nthree\n");
    let mut second = JsonlTail::new(&path, first.resume_offset());
    let batch = second.read_new().unwrap();
    assert_eq!(batch.lines, ["two", "three"]);
    assert!(!batch.from_start);
}

#[test]
fn oversize_line_is_skipped_without_buffering_and_counted() {
    let (_dir, path) = setup();
    let mut tail = JsonlTail::new(&path, 0).with_max_line_bytes(16);
    append(&path, b"short\n");
    append(&path, &[b'x'; 10]);
    assert_eq!(tail.read_new().unwrap().lines, ["short"]);
    // The line grows past the limit across several reads: counted once, never kept in memory.
    append(&path, &[b'x'; 10]);
    let batch = tail.read_new().unwrap();
    assert_eq!(batch.skipped_oversize, 1);
    assert!(tail.partial.capacity() == 0);
    append(&path, &[b'x'; 100_000]);
    let batch = tail.read_new().unwrap();
    assert_eq!(batch.skipped_oversize, 0);
    assert_eq!(tail.partial.capacity(), 0);
    append(&path, b"xx\nafter\n");
    let batch = tail.read_new().unwrap();
    assert_eq!(batch.lines, ["after"]);
    // A complete oversize line inside one read is skipped as well.
    append(&path, &[b'y'; 17]);
    append(&path, b"\nok\n");
    let batch = tail.read_new().unwrap();
    assert_eq!(
        (batch.lines, batch.skipped_oversize),
        (vec!["ok".to_owned()], 1)
    );
}

#[test]
fn line_exactly_at_the_limit_is_kept() {
    let (_dir, path) = setup();
    append(&path, b"0123456789abcdef\n0123456789abcdefg\n");
    let mut tail = JsonlTail::new(&path, 0).with_max_line_bytes(16);
    let batch = tail.read_new().unwrap();
    assert_eq!(batch.lines, ["0123456789abcdef"]);
    assert_eq!(batch.skipped_oversize, 1);
}

#[test]
fn invalid_utf8_lines_are_dropped_and_counted() {
    let (_dir, path) = setup();
    append(&path, b"good\n\xff\xfe bad\nalso good\n");
    let batch = JsonlTail::new(&path, 0).read_new().unwrap();
    assert_eq!(batch.lines, ["good", "also good"]);
    assert_eq!(batch.invalid_utf8, 1);
}

#[test]
fn truncation_restarts_from_the_start() {
    let (_dir, path) = setup();
    append(&path, b"first line\nsecond line\n");
    let mut tail = JsonlTail::new(&path, 0);
    tail.read_new().unwrap();
    fs::write(&path, b"new\n").unwrap();
    let batch = tail.read_new().unwrap();
    assert!(batch.restarted && batch.from_start);
    assert_eq!(batch.lines, ["new"]);
}

#[test]
fn replacement_by_rename_restarts_from_the_start() {
    let (dir, path) = setup();
    append(&path, b"old\n");
    let mut tail = JsonlTail::new(&path, 0);
    tail.read_new().unwrap();
    // Longer than before, so only the inode tells it apart from an append.
    let other = dir.path().join("other");
    fs::write(&other, b"replacement one\nreplacement two\n").unwrap();
    fs::rename(&other, &path).unwrap();
    let batch = tail.read_new().unwrap();
    assert!(batch.restarted);
    assert_eq!(batch.lines, ["replacement one", "replacement two"]);
}

#[test]
fn persisted_offset_beyond_the_end_restarts() {
    let (_dir, path) = setup();
    append(&path, b"a\n");
    let batch = JsonlTail::new(&path, 1000).read_new().unwrap();
    assert!(batch.restarted);
    assert_eq!(batch.lines, ["a"]);
}

#[test]
fn seek_to_end_skips_history_but_keeps_an_unfinished_line() {
    let (_dir, path) = setup();
    append(&path, b"old 1\nold 2\nbeing writ");
    let mut tail = JsonlTail::new(&path, 0);
    tail.seek_to_end().unwrap();
    assert_eq!(tail.resume_offset(), 12);
    append(&path, b"ten\nnew\n");
    let batch = tail.read_new().unwrap();
    assert_eq!(batch.lines, ["being written", "new"]);
    assert!(!batch.from_start);
}

#[test]
fn seek_to_end_of_complete_file_and_of_oversize_tail() {
    let (_dir, path) = setup();
    append(&path, b"old\n");
    let mut tail = JsonlTail::new(&path, 0);
    tail.seek_to_end().unwrap();
    assert_eq!(tail.resume_offset(), 4);

    append(&path, &[b'z'; 40]);
    let mut tail = JsonlTail::new(&path, 0).with_max_line_bytes(8);
    tail.seek_to_end().unwrap();
    append(&path, b"zz\nfresh\n");
    let batch = tail.read_new().unwrap();
    assert_eq!(batch.lines, ["fresh"]);
}

#[test]
fn large_backlog_is_read_in_budgeted_steps() {
    let (_dir, path) = setup();
    let line = format!("{}\n", "q".repeat(1023));
    let count = (READ_BUDGET as usize / line.len()) * 2 + 5;
    append(&path, line.repeat(count).as_bytes());
    let mut tail = JsonlTail::new(&path, 0);
    let mut total = 0;
    let mut calls = 0;
    loop {
        let batch = tail.read_new().unwrap();
        total += batch.lines.len();
        calls += 1;
        if !batch.more {
            break;
        }
    }
    assert_eq!(total, count);
    assert!(calls >= 3, "expected several budgeted calls, got {calls}");
}

#[test]
fn missing_file_is_an_error_and_position_is_kept() {
    let (_dir, path) = setup();
    let mut tail = JsonlTail::new(&path, 0);
    assert_eq!(tail.read_new().unwrap_err().kind(), io::ErrorKind::NotFound);
    append(&path, b"late\n");
    assert_eq!(tail.read_new().unwrap().lines, ["late"]);
}

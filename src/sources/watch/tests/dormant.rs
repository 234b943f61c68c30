//! Files set aside (the history at start-up, files quiet for [`WatchSpec::dormant_after`]) and brought
//! back by their next change, with the tracker stepped by hand.

use std::fs;
use std::time::Instant;

use super::tests::{append, jsonl};
use super::*;

fn tracker(spec: WatchSpec) -> Tracker {
    let watcher = notify::recommended_watcher(|_: notify::Result<notify::Event>| {}).unwrap();
    Tracker::start(spec, HashMap::new(), watcher)
}

/// A spec whose followed files go dormant at the first sweep.
fn forgetful(root: &Path) -> WatchSpec {
    WatchSpec {
        dormant_after: Duration::ZERO,
        ..WatchSpec::new(root, jsonl)
    }
}

fn lines_of(t: &mut Tracker, path: &Path) -> Vec<FileLines> {
    t.enqueue(path.to_path_buf());
    t.step()
}

#[test]
fn history_at_start_is_dormant_and_appends_arrive_whole() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done.jsonl");
    let mid = dir.path().join("mid.jsonl");
    append(&done, "old 1\nold 2\n");
    append(&mid, "old\nhalf a li");
    let mut t = tracker(WatchSpec::new(dir.path(), jsonl));
    assert_eq!((t.followed_len(), t.dormant_len()), (0, 2));
    append(&done, "new\n");
    append(&mid, "ne\nnext\n");
    let batches = lines_of(&mut t, &done);
    assert_eq!(batches[0].lines, ["new"]);
    assert!(!batches[0].from_start);
    assert_eq!(batches[0].offset_after, 16);
    let batches = lines_of(&mut t, &mid);
    assert_eq!(batches[0].lines, ["half a line", "next"]);
    assert_eq!((t.followed_len(), t.dormant_len()), (2, 0));
}

#[test]
fn an_unchanged_dormant_file_stays_dormant() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "old\n");
    let mut t = tracker(WatchSpec::new(dir.path(), jsonl));
    assert!(lines_of(&mut t, &file).is_empty());
    assert_eq!((t.followed_len(), t.dormant_len()), (0, 1));
}

#[test]
fn quiet_files_are_set_aside_and_resume_where_they_were_left() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "old\n");
    let mut t = tracker(forgetful(dir.path()));
    append(&file, "one\npart");
    assert_eq!(lines_of(&mut t, &file)[0].lines, ["one"]);
    assert!(t.sweep_due().is_some());
    t.sweep(Instant::now());
    assert_eq!((t.followed_len(), t.dormant_len()), (0, 1));
    assert_eq!(t.sweep_due(), None);
    append(&file, "ial\ntwo\n");
    let batches = lines_of(&mut t, &file);
    assert_eq!(batches[0].lines, ["partial", "two"]);
    assert_eq!(batches[0].offset_after, 20);
}

#[test]
fn files_still_changing_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    let mut t = tracker(WatchSpec::new(dir.path(), jsonl));
    append(&file, "first\n");
    assert!(lines_of(&mut t, &file)[0].from_start);
    t.sweep(Instant::now());
    assert_eq!(t.followed_len(), 1);
    assert!(t.sweep_due().is_some());
}

#[test]
fn a_dormant_file_replaced_by_a_fresh_one_is_read_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "old history\n");
    let mut t = tracker(WatchSpec::new(dir.path(), jsonl));
    let fresh = dir.path().join("fresh.tmp");
    append(&fresh, "brand new\n");
    fs::rename(&fresh, &file).unwrap();
    let batches = lines_of(&mut t, &file);
    assert_eq!(batches[0].lines, ["brand new"]);
    assert!(batches[0].from_start);
}

#[test]
fn a_deleted_dormant_file_is_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "old\n");
    let mut t = tracker(WatchSpec::new(dir.path(), jsonl));
    fs::remove_file(&file).unwrap();
    assert!(lines_of(&mut t, &file).is_empty());
    assert_eq!(t.dormant_len(), 0);
}

#[test]
fn a_writer_closing_a_dormant_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "old\n");
    let mut t = tracker(WatchSpec {
        report_writer_close: true,
        ..WatchSpec::new(dir.path(), jsonl)
    });
    t.enqueue_event(file.clone(), true);
    let batches = t.step();
    assert_eq!(batches.len(), 1);
    assert!(batches[0].writer_closed);
    assert!(batches[0].lines.is_empty());
    assert_eq!(batches[0].offset_after, 4);
}

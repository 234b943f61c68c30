use std::fs::{self, OpenOptions};
use std::io::Write;
use std::time::SystemTime;

use tokio::time::timeout;

use super::*;

/// Generous: only a broken watcher takes this long; a working one answers in milliseconds.
const WAIT: Duration = Duration::from_secs(20);

pub(super) fn jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "jsonl")
}

pub(super) fn append(path: &Path, text: &str) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

struct Running {
    rx: mpsc::Receiver<FileLines>,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    /// Starts a watcher and waits until its watch is in place and existing files are positioned.
    async fn start(
        spec: WatchSpec,
        offsets: HashMap<PathBuf, u64>,
        raw_capacity: usize,
    ) -> Running {
        let (tx, rx) = mpsc::channel(64);
        let shutdown = CancellationToken::new();
        let (ready_tx, ready_rx) = oneshot::channel();
        let options = Options {
            raw_capacity,
            ready: Some(ready_tx),
        };
        let task = tokio::spawn(run(spec, offsets, tx, shutdown.clone(), options));
        timeout(WAIT, ready_rx)
            .await
            .expect("watcher not ready in time")
            .expect("watcher died");
        Running { rx, shutdown, task }
    }

    async fn simple(root: &Path) -> Running {
        Running::start(WatchSpec::new(root, jsonl), HashMap::new(), RAW_CAPACITY).await
    }

    async fn next(&mut self) -> FileLines {
        timeout(WAIT, self.rx.recv())
            .await
            .expect("no lines in time")
            .expect("watcher ended")
    }

    /// Receives batches until `count` lines have arrived; returns them with their files.
    async fn lines(&mut self, count: usize) -> Vec<(PathBuf, String)> {
        let mut got = Vec::new();
        while got.len() < count {
            let batch = self.next().await;
            got.extend(
                batch
                    .lines
                    .into_iter()
                    .map(|line| (batch.path.clone(), line)),
            );
        }
        assert_eq!(got.len(), count, "more lines than expected: {got:?}");
        got
    }

    async fn stop(self) {
        self.shutdown.cancel();
        timeout(WAIT, self.task)
            .await
            .expect("watcher did not stop")
            .unwrap();
    }
}

fn texts(lines: Vec<(PathBuf, String)>) -> Vec<String> {
    lines.into_iter().map(|(_, line)| line).collect()
}

#[tokio::test]
async fn appended_lines_arrive_once_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "");
    let mut w = Running::simple(dir.path()).await;
    let expected: Vec<String> = (0..200).map(|i| format!("{{\"n\":{i}}}")).collect();
    for line in &expected {
        append(&file, &format!("{line}\n"));
    }
    assert_eq!(texts(w.lines(expected.len()).await), expected);
    // Nothing was delivered twice: the very next line is the marker.
    append(&file, "marker\n");
    let batch = w.next().await;
    assert_eq!(batch.lines, ["marker"]);
    assert_eq!(batch.offset_after, fs::metadata(&file).unwrap().len());
    w.stop().await;
}

#[tokio::test]
async fn partial_line_completed_later_arrives_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "");
    let mut w = Running::simple(dir.path()).await;
    append(&file, "{\"type\":\"assis");
    append(&file, "tant\"}\n");
    assert_eq!(texts(w.lines(1).await), ["{\"type\":\"assistant\"}"]);
    w.stop().await;
}

#[tokio::test]
async fn cold_start_skips_existing_content() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.jsonl");
    append(&file, "history 1\nhistory 2\n");
    let mut w = Running::simple(dir.path()).await;
    append(&file, "fresh\n");
    let batch = w.next().await;
    assert_eq!(batch.lines, ["fresh"]);
    assert!(!batch.from_start);
    w.stop().await;
}

#[tokio::test]
async fn persisted_offset_resumes_and_others_start_at_end() {
    let dir = tempfile::tempdir().unwrap();
    let resumed = dir.path().join("resumed.jsonl");
    let other = dir.path().join("other.jsonl");
    append(&resumed, "seen\nmissed 1\nmissed 2\n");
    append(&other, "history\n");
    let offsets = HashMap::from([(resumed.clone(), 5)]);
    let mut w = Running::start(WatchSpec::new(dir.path(), jsonl), offsets, RAW_CAPACITY).await;
    let batch = w.next().await;
    assert_eq!(batch.path, resumed);
    assert_eq!(batch.lines, ["missed 1", "missed 2"]);
    assert_eq!(batch.offset_after, 23);
    append(&other, "new\n");
    let batch = w.next().await;
    assert_eq!((batch.path, batch.lines), (other, vec!["new".to_owned()]));
    w.stop().await;
}

#[tokio::test]
async fn new_file_is_read_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Running::simple(dir.path()).await;
    let sub = dir.path().join("project");
    fs::create_dir(&sub).unwrap();
    let file = sub.join("s.jsonl");
    fs::write(&file, "first\nsecond\n").unwrap();
    fs::write(dir.path().join("ignored.txt"), "not followed\n").unwrap();
    let mut got = Vec::new();
    let mut first_batch = None;
    while got.len() < 2 {
        let batch = w.next().await;
        assert_eq!(batch.path, file);
        first_batch.get_or_insert(batch.from_start);
        got.extend(batch.lines);
    }
    assert_eq!(got, ["first", "second"]);
    assert_eq!(first_batch, Some(true));
    w.stop().await;
}

#[tokio::test]
async fn root_created_after_start_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("home/.codex/sessions");
    let mut w = Running::simple(&root).await;
    // Appear one level at a time, then all at once.
    fs::create_dir(dir.path().join("home")).unwrap();
    fs::write(dir.path().join("home/unrelated.jsonl"), "outside root\n").unwrap();
    fs::create_dir_all(root.join("2025/01/02")).unwrap();
    let file = root.join("2025/01/02/rollout-1.jsonl");
    append(&file, "{\"type\":\"session_meta\"}\n");
    let got = w.lines(1).await;
    assert_eq!(
        got,
        [(file.clone(), "{\"type\":\"session_meta\"}".to_owned())]
    );
    append(&file, "next\n");
    assert_eq!(texts(w.lines(1).await), ["next"]);
    w.stop().await;
}

#[tokio::test]
async fn oversize_line_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "");
    let spec = WatchSpec {
        max_line_bytes: 1024,
        ..WatchSpec::new(dir.path(), jsonl)
    };
    let mut w = Running::start(spec, HashMap::new(), RAW_CAPACITY).await;
    append(&file, &format!("{}\n", "x".repeat(5000)));
    append(&file, "after\n");
    let mut skipped = 0;
    let mut lines = Vec::new();
    while lines.is_empty() {
        let batch = w.next().await;
        skipped += batch.skipped_oversize;
        lines.extend(batch.lines);
    }
    assert_eq!((skipped, lines), (1, vec!["after".to_owned()]));
    w.stop().await;
}

#[tokio::test]
async fn truncation_restarts_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "");
    let mut w = Running::simple(dir.path()).await;
    append(&file, "one long line before truncation\n");
    assert_eq!(texts(w.lines(1).await), ["one long line before truncation"]);
    fs::write(&file, "after\n").unwrap();
    let mut batch = w.next().await;
    while batch.lines.is_empty() {
        batch = w.next().await;
    }
    assert_eq!(batch.lines, ["after"]);
    assert!(batch.from_start);
    assert_eq!(batch.offset_after, 6);
    w.stop().await;
}

#[tokio::test]
async fn one_change_among_a_thousand_files_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for d in 0..50 {
        let sub = dir.path().join(format!("project-{d}"));
        fs::create_dir(&sub).unwrap();
        for f in 0..20 {
            let file = sub.join(format!("session-{f}.jsonl"));
            fs::write(&file, "existing\n").unwrap();
            files.push(file);
        }
    }
    let mut w = Running::simple(dir.path()).await;
    append(&files[737], "hello\n");
    assert_eq!(w.lines(1).await, [(files[737].clone(), "hello".to_owned())]);
    w.stop().await;
}

#[tokio::test]
async fn full_event_channel_falls_back_to_rescan_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = (0..20)
        .map(|i| dir.path().join(format!("f{i}.jsonl")))
        .collect();
    for file in &files {
        append(file, "");
    }
    // Capacity 1: almost every event finds the channel full.
    let mut w = Running::start(WatchSpec::new(dir.path(), jsonl), HashMap::new(), 1).await;
    for round in 0..10 {
        for file in &files {
            append(file, &format!("{round}\n"));
        }
    }
    let got = w.lines(200).await;
    for file in &files {
        let mine: Vec<String> = got
            .iter()
            .filter(|(path, _)| path == file)
            .map(|(_, l)| l.clone())
            .collect();
        let expected: Vec<String> = (0..10).map(|r| r.to_string()).collect();
        assert_eq!(mine, expected, "{}", file.display());
    }
    w.stop().await;
}

#[tokio::test]
async fn stops_when_receiver_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "");
    let w = Running::simple(dir.path()).await;
    drop(w.rx);
    append(&file, "line\n");
    timeout(WAIT, w.task)
        .await
        .expect("watcher kept running")
        .unwrap();
}

// The tracker on its own, stepped by hand: deterministic checks of what events cannot pin down.

fn tracker(root: &Path, offsets: HashMap<PathBuf, u64>) -> Tracker {
    let watcher = notify::recommended_watcher(|_: notify::Result<notify::Event>| {}).unwrap();
    Tracker::start(WatchSpec::new(root, jsonl), offsets, watcher)
}

#[test]
fn burst_of_events_for_one_file_is_one_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "");
    let mut t = tracker(dir.path(), HashMap::new());
    for i in 0..50 {
        append(&file, &format!("{i}\n"));
        t.enqueue(file.clone());
    }
    assert_eq!(t.queue_len(), 1);
    let batches = t.step();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].lines.len(), 50);
    assert!(t.is_idle());
}

#[test]
fn rescan_reads_files_that_grew_without_events() {
    let dir = tempfile::tempdir().unwrap();
    let grew = dir.path().join("sub/grew.jsonl");
    let same = dir.path().join("same.jsonl");
    fs::create_dir(dir.path().join("sub")).unwrap();
    append(&grew, "old\n");
    append(&same, "old\n");
    let mut t = tracker(dir.path(), HashMap::new());
    append(&grew, "new\n");
    let created = dir.path().join("created.jsonl");
    append(&created, "brand new\n");
    assert!(t.is_idle());
    t.request_rescan();
    let mut batches = t.step();
    batches.sort_by(|a, b| a.path.cmp(&b.path));
    let seen: Vec<(PathBuf, Vec<String>, bool)> = batches
        .into_iter()
        .map(|b| (b.path, b.lines, b.from_start))
        .collect();
    assert_eq!(
        seen,
        [
            (created, vec!["brand new".to_owned()], true),
            (grew, vec!["new".to_owned()], false),
        ]
    );
}

#[test]
fn old_file_moved_in_is_followed_from_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = tracker(dir.path(), HashMap::new());
    let file = dir.path().join("restored.jsonl");
    append(&file, "ancient history\n");
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    t.enqueue(file.clone());
    assert!(t.step().is_empty());
    append(&file, "live\n");
    t.enqueue(file.clone());
    let batches = t.step();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].lines, ["live"]);
}

#[test]
fn deleted_file_is_forgotten_and_a_recreated_one_read_from_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "history\n");
    let mut t = tracker(dir.path(), HashMap::new());
    fs::remove_file(&file).unwrap();
    t.enqueue(file.clone());
    assert!(t.step().is_empty());
    append(&file, "reborn\n");
    t.enqueue(file.clone());
    let batches = t.step();
    assert_eq!(batches[0].lines, ["reborn"]);
    assert!(batches[0].from_start);
}

#[test]
fn persisted_offset_for_a_missing_file_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone.jsonl");
    let t = tracker(dir.path(), HashMap::from([(gone, 10)]));
    assert!(t.is_idle());
}

mod catch_up;
mod close;
mod dormant;

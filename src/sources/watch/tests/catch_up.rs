//! Start-up catch-up: the end of a recent file nobody followed is delivered once, marked; older files and
//! files with a persisted offset are not replayed.

use std::fs;
use std::io::Write;
use std::time::SystemTime;

use tokio::time::timeout;

use super::*;

const WAIT: Duration = Duration::from_secs(20);

fn jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "jsonl")
}

fn append(path: &Path, text: &str) {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn age(path: &Path, secs: u64) {
    let f = fs::OpenOptions::new().append(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

async fn start(root: &Path, catch_up: Duration) -> (mpsc::Receiver<FileLines>, CancellationToken) {
    let (tx, rx) = mpsc::channel(64);
    let stop = CancellationToken::new();
    let (ready_tx, ready_rx) = oneshot::channel();
    let spec = WatchSpec {
        catch_up,
        ..WatchSpec::new(root, jsonl)
    };
    spawn_jsonl_watcher_ready(spec, HashMap::new(), tx, stop.clone(), ready_tx);
    timeout(WAIT, ready_rx).await.unwrap().unwrap();
    (rx, stop)
}

async fn next(rx: &mut mpsc::Receiver<FileLines>) -> FileLines {
    timeout(WAIT, rx.recv()).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_recent_file_s_end_is_delivered_once_and_old_history_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let recent = dir.path().join("recent.jsonl");
    let old = dir.path().join("old.jsonl");
    append(&recent, "r1\nr2\nstop\n");
    append(&old, "o1\nold stop\n");
    age(&old, 5 * 3600);
    let (mut rx, stop) = start(dir.path(), Duration::from_secs(3600)).await;

    let first = next(&mut rx).await;
    assert_eq!(first.path, recent);
    assert!(first.catch_up);
    assert_eq!(first.lines, ["r1", "r2", "stop"]);

    // Both are followed from their ends afterwards; neither is replayed.
    append(&old, "o3\n");
    let later = next(&mut rx).await;
    assert_eq!(
        (later.path.clone(), later.lines.clone()),
        (old.clone(), vec!["o3".to_string()])
    );
    assert!(!later.catch_up);
    append(&recent, "r4\n");
    let later = next(&mut rx).await;
    assert_eq!(later.lines, ["r4"]);
    assert!(!later.catch_up, "catch-up happens once");
    stop.cancel();
}

#[tokio::test]
async fn a_long_file_is_caught_up_from_a_whole_line_near_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.jsonl");
    let text: String = (0..40_000).map(|i| format!("line-{i:06}\n")).collect();
    append(&big, &text);
    let (mut rx, stop) = start(dir.path(), Duration::from_secs(3600)).await;
    let batch = next(&mut rx).await;
    assert!(batch.catch_up);
    assert_eq!(batch.lines.last().map(String::as_str), Some("line-039999"));
    assert!(batch.lines.len() < 40_000, "only the end is read");
    assert!(
        batch
            .lines
            .iter()
            .all(|l| l.len() == 11 && l.starts_with("line-")),
        "every line whole"
    );
    stop.cancel();
}

#[tokio::test]
async fn catch_up_off_means_existing_files_start_at_their_end() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    append(&file, "before\n");
    let (mut rx, stop) = start(dir.path(), Duration::ZERO).await;
    append(&file, "after\n");
    let batch = next(&mut rx).await;
    assert_eq!(batch.lines, ["after"]);
    assert!(!batch.catch_up);
    stop.cancel();
}

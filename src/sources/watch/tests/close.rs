//! Writer closes, reported on request (Linux inotify `IN_CLOSE_WRITE`).

use std::fs::OpenOptions;
use std::io::Write;

use tokio::time::timeout;

use super::*;

fn jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "jsonl")
}

async fn next(rx: &mut mpsc::Receiver<FileLines>) -> FileLines {
    timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a batch in time")
        .expect("watcher alive")
}

async fn start(root: &Path, report: bool) -> (mpsc::Receiver<FileLines>, CancellationToken) {
    let (tx, rx) = mpsc::channel(64);
    let stop = CancellationToken::new();
    let (ready_tx, ready_rx) = oneshot::channel();
    let spec = WatchSpec {
        report_writer_close: report,
        ..WatchSpec::new(root, jsonl)
    };
    let options = Options {
        raw_capacity: RAW_CAPACITY,
        ready: Some(ready_tx),
    };
    tokio::spawn(run(spec, HashMap::new(), tx, stop.clone(), options));
    ready_rx.await.expect("watcher ready");
    (rx, stop)
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_writer_closing_the_file_is_reported_once_its_lines_are_in() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rx, stop) = start(dir.path(), true).await;
    let path = dir.path().join("a.jsonl");
    let mut held = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    held.write_all(b"{\"n\":1}\n").unwrap();
    let first = next(&mut rx).await;
    assert_eq!(first.lines, ["{\"n\":1}"]);
    assert!(!first.writer_closed, "the writer still holds it");
    held.write_all(b"{\"n\":2}\n").unwrap();
    drop(held);
    let mut lines = Vec::new();
    loop {
        let batch = next(&mut rx).await;
        lines.extend(batch.lines);
        if batch.writer_closed {
            break;
        }
    }
    assert_eq!(lines, ["{\"n\":2}"]);
    stop.cancel();
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn closes_are_not_reported_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rx, stop) = start(dir.path(), false).await;
    let path = dir.path().join("a.jsonl");
    std::fs::write(&path, "{\"n\":1}\n").unwrap();
    let batch = next(&mut rx).await;
    assert!(!batch.writer_closed);
    std::fs::write(dir.path().join("b.jsonl"), "{\"n\":2}\n").unwrap();
    let batch = next(&mut rx).await;
    assert_eq!(batch.lines, ["{\"n\":2}"], "no empty batch for a's close");
    assert!(!batch.writer_closed);
    stop.cancel();
}

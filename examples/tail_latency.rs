//! Latency of the JSONL watcher: how long from appending a line to one of 1,000 followed files until the
//! watcher delivers it.
//!
//! `cargo run --example tail_latency [-- APPENDS]` (default 500). Two phases: one append at a time
//! (pure latency), then bursts of 100 appends to random files (latency under load). Prints p50/p99/max.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use palingenesis::sources::watch::{FileLines, WatchSpec, spawn_jsonl_watcher};
use rand::Rng;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

const DIRS: usize = 50;
const FILES_PER_DIR: usize = 20;
const BURST: usize = 100;
const WAIT: Duration = Duration::from_secs(10);

fn jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "jsonl")
}

async fn append(path: &Path, line: &str) -> std::io::Result<()> {
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await?;
    file.write_all(format!("{line}\n").as_bytes()).await
}

/// Receives until every line in `pending` (line → when it was appended) has arrived; records latencies.
async fn collect(
    rx: &mut mpsc::Receiver<FileLines>,
    pending: &mut HashMap<String, Instant>,
    latencies: &mut Vec<Duration>,
) -> anyhow::Result<()> {
    while !pending.is_empty() {
        let batch = timeout(WAIT, rx.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("watcher ended"))?;
        let now = Instant::now();
        for line in batch.lines {
            if let Some(appended) = pending.remove(&line) {
                latencies.push(now - appended);
            }
        }
    }
    Ok(())
}

/// Appends to new probe files until one is delivered: then the watch is surely in place.
async fn wait_until_watching(
    root: &Path,
    rx: &mut mpsc::Receiver<FileLines>,
) -> anyhow::Result<()> {
    for attempt in 0..100 {
        let probe = root.join(format!("probe-{attempt}.jsonl"));
        append(&probe, "probe").await?;
        if let Ok(Some(batch)) = timeout(Duration::from_millis(200), rx.recv()).await
            && batch.lines.iter().any(|l| l == "probe")
        {
            return Ok(());
        }
    }
    anyhow::bail!("the watcher never delivered a probe line")
}

fn report(name: &str, latencies: &mut [Duration]) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:>10}: n={:<5} p50={:>9.3?} p99={:>9.3?} max={:>9.3?}",
        latencies.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let appends: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(500);
    let dir = tempfile::tempdir()?;
    let mut files: Vec<PathBuf> = Vec::with_capacity(DIRS * FILES_PER_DIR);
    for d in 0..DIRS {
        let sub = dir.path().join(format!("project-{d}"));
        tokio::fs::create_dir(&sub).await?;
        for f in 0..FILES_PER_DIR {
            let file = sub.join(format!("session-{f}.jsonl"));
            tokio::fs::write(&file, "{\"existing\":true}\n").await?;
            files.push(file);
        }
    }
    let (tx, mut rx) = mpsc::channel(1024);
    let shutdown = CancellationToken::new();
    let task = spawn_jsonl_watcher(
        WatchSpec::new(dir.path(), jsonl),
        HashMap::new(),
        tx,
        shutdown.clone(),
    );
    wait_until_watching(dir.path(), &mut rx).await?;
    println!("following {} files", files.len());

    let mut rng = rand::rng();
    let mut pending = HashMap::new();
    let mut single = Vec::with_capacity(appends);
    for seq in 0..appends {
        let line = format!("{{\"seq\":{seq}}}");
        let file = &files[rng.random_range(0..files.len())];
        pending.insert(line.clone(), Instant::now());
        append(file, &line).await?;
        collect(&mut rx, &mut pending, &mut single).await?;
    }
    report("one by one", &mut single);

    let mut burst = Vec::with_capacity(appends);
    for round in 0..appends.div_ceil(BURST) {
        for i in 0..BURST {
            let line = format!("{{\"round\":{round},\"i\":{i}}}");
            let file = &files[rng.random_range(0..files.len())];
            pending.insert(line.clone(), Instant::now());
            append(file, &line).await?;
        }
        collect(&mut rx, &mut pending, &mut burst).await?;
    }
    report(&format!("burst {BURST}"), &mut burst);

    shutdown.cancel();
    task.await?;
    Ok(())
}

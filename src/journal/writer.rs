//! The journal's own thread: appends entries, fsyncs them, then lets the audit events queued behind them go.
//! Batches whatever is queued at once, so a burst of stops costs one fsync.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use tokio::sync::{mpsc, oneshot};

use super::{Entry, Item};
use crate::audit::AuditWriter;

pub(super) fn spawn(
    path: PathBuf,
    kept: Vec<Entry>,
    rx: mpsc::UnboundedReceiver<Item>,
    audit: AuditWriter,
) {
    let spawned = std::thread::Builder::new()
        .name("journal".into())
        .spawn(move || run(&path, kept, rx, &audit));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the journal thread");
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

fn run(
    path: &Path,
    mut kept: Vec<Entry>,
    mut rx: mpsc::UnboundedReceiver<Item>,
    audit: &AuditWriter,
) {
    let mut file = match open(path) {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "cannot open the journal; running without it");
            None
        }
    };
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while let Ok(item) = rx.try_recv() {
            batch.push(item);
        }
        let mut written = Vec::new();
        let mut acks: Vec<oneshot::Sender<()>> = Vec::new();
        let mut audits = Vec::new();
        let mut compact = None;
        let mut flushes = Vec::new();
        for item in batch {
            match item {
                Item::Entry(entry, ack) => {
                    written.push(entry);
                    acks.extend(ack);
                }
                Item::Audit(event) => audits.push(event),
                Item::Compact(upto) => compact = Some(upto),
                Item::Flush(done) => flushes.push(done),
            }
        }
        if !written.is_empty()
            && let Some(f) = file.as_mut()
            && let Err(e) = append(f, &written)
        {
            tracing::error!(path = %path.display(), error = %e, "writing the journal failed");
        }
        kept.extend(written);
        for ack in acks {
            let _ = ack.send(());
        }
        for event in audits {
            audit.record(event);
        }
        if let Some(upto) = compact {
            let before = kept.len();
            kept.retain(|e| e.seq() > upto);
            let dropped = before - kept.len();
            if let Err(e) = compact_file(path, &mut file, &kept, dropped) {
                tracing::warn!(path = %path.display(), error = %e, "compacting the journal failed");
            }
        }
        // Last: a flush answers for everything queued before it, a compaction in the same batch included.
        for done in flushes {
            let _ = done.send(());
        }
    }
}

fn append(file: &mut File, entries: &[Entry]) -> std::io::Result<()> {
    let mut buf = Vec::new();
    for entry in entries {
        serde_json::to_writer(&mut buf, entry)?;
        buf.push(b'\n');
    }
    file.write_all(&buf)?;
    file.sync_data()
}

/// Shrink the file after `dropped` entries left `kept`. Cheap and without fsync: a compaction lost to a
/// power cut only replays entries the state already covers, which the engine recognises. Emptied: truncated;
/// else rewritten only once enough was dropped (leftovers wait for a later compaction).
fn compact_file(
    path: &Path,
    file: &mut Option<File>,
    kept: &[Entry],
    dropped: usize,
) -> std::io::Result<()> {
    if dropped == 0 {
        return Ok(());
    }
    if kept.is_empty() {
        if let Some(f) = file.as_ref() {
            f.set_len(0)?;
        }
        return Ok(());
    }
    if dropped >= REWRITE_AFTER {
        *file = Some(rewrite(path, kept)?);
    }
    Ok(())
}

/// Dropped entries worth rewriting a journal that still holds others.
const REWRITE_AFTER: usize = 1024;

/// Replace the journal with `kept` (tmp, rename); returns the new file for appending.
fn rewrite(path: &Path, kept: &[Entry]) -> std::io::Result<File> {
    let tmp = path.with_extension("jsonl.tmp");
    {
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        let mut buf = Vec::new();
        for entry in kept {
            serde_json::to_writer(&mut buf, entry)?;
            buf.push(b'\n');
        }
        f.write_all(&buf)?;
    }
    std::fs::rename(&tmp, path)?;
    open(path)
}

//! `palingenesis events --follow`: the matching backlog, then every new event as it is appended.
//!
//! Wake-ups come from a `notify` watch on the trail's directory; only if the watch cannot be set up does
//! the follower fall back to looking every [`FALLBACK_POLL`]. Rotation is followed by inode: when
//! `audit.jsonl` no longer names the followed file, the follower finishes that file, then reads every
//! newer generation in order, so it misses nothing unless several rotations drop files it never saw.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::files::{self, FileId, TrailFile};
use super::lines::{self, Line, LineReader, Parsed};
use super::query::{AuditQuery, Collector};
use super::{AuditError, AuditEvent};

/// How often to look for changes when file notifications are unavailable.
pub const FALLBACK_POLL: Duration = Duration::from_secs(1);

/// Send the events matching `query` (its `limit` applies to the backlog only), then every matching
/// event appended later, across rotations. Returns when `tx`'s receiver is dropped.
pub async fn follow(
    path: impl Into<PathBuf>,
    query: AuditQuery,
    tx: mpsc::Sender<AuditEvent>,
) -> Result<(), AuditError> {
    let path = path.into();
    let query = Arc::new(query);
    let (mut tail, backlog) = {
        let (path, query) = (path.clone(), Arc::clone(&query));
        crate::tasks::spawn_blocking(move || Tail::start(path, &query)).await??
    };
    for event in backlog {
        if tx.send(event).await.is_err() {
            return Ok(());
        }
    }

    let (wake_tx, mut wake_rx) = mpsc::channel::<()>(1);
    let mut watcher = watch(&path, wake_tx);
    loop {
        // Read first: this also catches what was appended before the watch was in place.
        let q = Arc::clone(&query);
        let (returned, new_events) = crate::tasks::spawn_blocking(move || {
            let events = tail.read_new(&q);
            (tail, events)
        })
        .await?;
        tail = returned;
        for event in new_events? {
            if tx.send(event).await.is_err() {
                return Ok(());
            }
        }
        tokio::select! {
            _ = tx.closed() => return Ok(()),
            woke = wake_rx.recv(), if watcher.is_some() => {
                if woke.is_none() {
                    tracing::warn!("file watch ended; polling the audit trail instead");
                    watcher = None;
                }
            }
            _ = tokio::time::sleep(FALLBACK_POLL), if watcher.is_none() => {}
        }
    }
}

/// Watch the trail's directory; `None` (after a warning) when notifications are unavailable.
fn watch(path: &Path, wake: mpsc::Sender<()>) -> Option<RecommendedWatcher> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name()?.to_string_lossy().into_owned();
    let lock_name = format!("{name}.lock");
    let handler = move |res: notify::Result<notify::Event>| {
        let relevant = match &res {
            Ok(ev) => {
                !matches!(ev.kind, EventKind::Access(_))
                    && (ev.paths.is_empty()
                        || ev.paths.iter().any(|p| {
                            p.file_name()
                                .map(|f| f.to_string_lossy())
                                .is_some_and(|f| f.starts_with(&name) && f != lock_name)
                        }))
            }
            Err(_) => true,
        };
        if relevant {
            // A full channel means a wake-up is already pending, and it reads everything new: drop this one.
            let _ = wake.try_send(());
        }
    };
    let started = notify::recommended_watcher(handler)
        .and_then(|mut w| w.watch(&dir, RecursiveMode::NonRecursive).map(|()| w));
    match started {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch the audit trail; polling instead");
            None
        }
    }
}

/// The file being followed, read up to its last complete line.
struct Cursor {
    reader: LineReader<File>,
    id: FileId,
    path: PathBuf,
}

impl Cursor {
    fn new(file: TrailFile) -> Self {
        Cursor {
            reader: LineReader::new(file.file),
            id: file.id,
            path: file.path,
        }
    }

    /// Every complete line appended since the last call.
    fn drain(&mut self, query: &AuditQuery, out: &mut Vec<AuditEvent>) -> Result<(), AuditError> {
        while let Some(line) = self
            .reader
            .next_line()
            .map_err(|e| AuditError::io(&self.path, "read", e))?
        {
            emit(&line, query, out);
        }
        Ok(())
    }

    /// The file was rotated away and will not grow again: read the rest, unterminated tail included.
    fn finish(&mut self, query: &AuditQuery, out: &mut Vec<AuditEvent>) -> Result<(), AuditError> {
        self.drain(query, out)?;
        if let Some(line) = self.reader.take_partial() {
            emit(&line, query, out);
        }
        Ok(())
    }
}

fn emit(line: &Line<'_>, query: &AuditQuery, out: &mut Vec<AuditEvent>) {
    match lines::parse(line) {
        Parsed::Event(ev) if query.matches(&ev) => out.push(*ev),
        Parsed::Event(_) | Parsed::Blank => {}
        Parsed::Corrupt => tracing::debug!("skipped a corrupt audit line"),
    }
}

struct Tail {
    path: PathBuf,
    cursor: Option<Cursor>,
}

impl Tail {
    /// Read the backlog and stop at the end of the newest file.
    fn start(path: PathBuf, query: &AuditQuery) -> Result<(Tail, Vec<AuditEvent>), AuditError> {
        let mut files = files::snapshot(&path)?;
        let newest = files.pop();
        let mut collector = Collector::new(query);
        for f in files {
            collector
                .read_all(&mut LineReader::new(f.file), false)
                .map_err(|e| AuditError::io(&f.path, "read", e))?;
        }
        let mut cursor = newest.map(Cursor::new);
        if let Some(c) = &mut cursor {
            while let Some(line) = c
                .reader
                .next_line()
                .map_err(|e| AuditError::io(&c.path, "read", e))?
            {
                collector.push(&line);
            }
        }
        Ok((Tail { path, cursor }, collector.finish().events))
    }

    /// Everything appended since the last call, following rotations.
    fn read_new(&mut self, query: &AuditQuery) -> Result<Vec<AuditEvent>, AuditError> {
        let mut out = Vec::new();
        loop {
            if let Some(c) = &mut self.cursor {
                c.drain(query, &mut out)?;
            }
            let on_disk = FileId::of_path(&self.path)
                .map_err(|e| AuditError::io(&self.path, "inspect", e))?;
            if on_disk == self.cursor.as_ref().map(|c| c.id) {
                return Ok(out);
            }
            // The path names another file now. Writers only append to the file the path names, so
            // the followed file is complete; the snapshot says which generations came after it.
            let files = files::snapshot(&self.path)?;
            let start = match &mut self.cursor {
                None => 0,
                Some(c) => {
                    c.finish(query, &mut out)?;
                    match files.iter().position(|f| f.id == c.id) {
                        Some(i) => i + 1,
                        None => {
                            if !files.is_empty() {
                                tracing::warn!(
                                    path = %self.path.display(),
                                    "the audit trail rotated past the followed file; some events may be missing"
                                );
                            }
                            0
                        }
                    }
                }
            };
            let mut newer: Vec<TrailFile> = files.into_iter().skip(start).collect();
            let Some(newest) = newer.pop() else {
                // The followed file is still the newest (the current file was removed): wait.
                return Ok(out);
            };
            for f in newer {
                Cursor::new(f).finish(query, &mut out)?;
            }
            self.cursor = Some(Cursor::new(newest));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watching_a_missing_directory_falls_back_to_polling() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, _rx) = mpsc::channel(1);
        assert!(watch(&dir.path().join("missing/audit.jsonl"), tx).is_none());
        let (tx, _rx) = mpsc::channel(1);
        assert!(watch(&dir.path().join("audit.jsonl"), tx).is_some());
    }
}

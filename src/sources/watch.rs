//! Event-driven following of every JSONL file below one root directory.
//!
//! [`spawn_jsonl_watcher`] starts one task that keeps a [`JsonlTail`](super::tail::JsonlTail) per
//! accepted file below [`WatchSpec::root`] and sends each batch of new lines as a [`FileLines`].
//!
//! - **Events, not polling.** A recursive `notify` watch reports changed paths; only those files are read,
//!   incrementally. With nothing happening the task sleeps on its channel and never wakes up.
//! - **Cold start.** Files already present start at their end (their history is never replayed as if it
//!   were new), except files listed in the `offsets` given, which resume from there. A file that appears
//!   while the watcher runs is read from its start (`from_start: true`), unless its modification time is
//!   older than [`WatchSpec::freshness`]: then it is old content that was moved or restored into place,
//!   and it is followed from its end too.
//! - **Catch-up.** With [`WatchSpec::catch_up`] set, an existing file never followed before and modified
//!   recently enough has its last lines (at most [`CATCH_UP_TAIL_BYTES`]) delivered once, marked
//!   [`FileLines::catch_up`], before it is followed from its end: the owner looks there for a stop that
//!   happened before the daemon started.
//! - **A root that does not exist yet.** The nearest existing ancestor is watched (non-recursively) and
//!   the watch moves down as directories appear; once the root exists it is watched recursively and every
//!   file already in it counts as new.
//! - **Nothing lost under load.** notify's callback runs on notify's own thread and forwards paths into a
//!   bounded channel with `try_send`; it never blocks. When the channel is full, or the backend reports an
//!   overflow (inotify `IN_Q_OVERFLOW`) or an error, it sets a "rescan needed" flag instead, and the task
//!   then walks the root and reads every file that grew. Paths queued for reading are de-duplicated, so a
//!   burst of events for one file costs one read.
//! - **Bounded work per step.** Reads run in `spawn_blocking`, a bounded number of bytes per step, and
//!   each batch is sent with `send().await`, so a slow consumer slows the watcher down rather than making
//!   it buffer.
//!
//! The owner persists each file's [`FileLines::offset_after`] and passes them back as `offsets` on the
//! next start to resume without gaps or repeats.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::tail::DEFAULT_MAX_LINE_BYTES;

mod dormant;
mod tracker;
use tracker::Tracker;
pub(crate) use tracker::walk;

/// Default [`WatchSpec::freshness`].
pub const DEFAULT_FRESHNESS: Duration = Duration::from_secs(10 * 60);

/// How much of a file's end a catch-up batch reads at most.
pub const CATCH_UP_TAIL_BYTES: u64 = 256 * 1024;
/// Default [`WatchSpec::dormant_after`].
pub const DEFAULT_DORMANT_AFTER: Duration = Duration::from_secs(5 * 60);

/// Capacity of the channel between notify's callback and the task, in paths.
const RAW_CAPACITY: usize = 1024;

/// What to follow and how.
#[derive(Debug, Clone)]
pub struct WatchSpec {
    /// Directory whose files are followed, recursively; it need not exist yet. Reported paths start with
    /// it exactly as given (it is not canonicalised), so give an absolute path.
    pub root: PathBuf,
    /// Which files to follow (e.g. `*.jsonl`); other files are ignored.
    pub accept: fn(&Path) -> bool,
    /// Lines longer than this are skipped and counted, never buffered.
    pub max_line_bytes: usize,
    /// A file that appears while the watcher runs is read from its start only if it was modified at most
    /// this long ago; an older one is followed from its end.
    pub freshness: Duration,
    /// Also deliver a batch (possibly without lines) with [`FileLines::writer_closed`] set when a process
    /// that had the file open for writing closed it (Linux inotify `IN_CLOSE_WRITE`; other platforms
    /// never report it). For writers that keep their file open while they live (Codex), this is how
    /// their death shows.
    pub report_writer_close: bool,
    /// Start-up catch-up: a file already present at start, never followed before (not in `offsets`) and
    /// modified at most this long ago has its last lines delivered once, in a batch marked
    /// [`FileLines::catch_up`], so that a stop written before the daemon started is not lost. Zero: off.
    pub catch_up: Duration,
    /// A followed file that has not changed for this long is set aside: only where it was left is
    /// kept, and its next change brings it back. Memory then follows recent activity, not history.
    pub dormant_after: Duration,
}

impl WatchSpec {
    /// A spec with the default line cap ([`DEFAULT_MAX_LINE_BYTES`]) and [`DEFAULT_FRESHNESS`].
    pub fn new(root: impl Into<PathBuf>, accept: fn(&Path) -> bool) -> WatchSpec {
        WatchSpec {
            root: root.into(),
            accept,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            freshness: DEFAULT_FRESHNESS,
            report_writer_close: false,
            catch_up: Duration::ZERO,
            dormant_after: DEFAULT_DORMANT_AFTER,
        }
    }
}

/// New complete lines from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLines {
    /// The file, below [`WatchSpec::root`].
    pub path: PathBuf,
    /// New lines in file order, without terminators; blank lines are dropped.
    pub lines: Vec<String>,
    /// Where the first line not yet delivered starts: persist it and pass it back in `offsets` on the
    /// next start. It can go down when the file was truncated or replaced.
    pub offset_after: u64,
    /// The first of `lines` is the first line of the file: the file is new, or was truncated or replaced
    /// and is read again from its start.
    pub from_start: bool,
    /// Lines skipped for being longer than [`WatchSpec::max_line_bytes`].
    pub skipped_oversize: usize,
    /// Lines dropped for not being valid UTF-8.
    pub invalid_utf8: usize,
    /// A writer closed the file since the previous batch (only with [`WatchSpec::report_writer_close`]).
    pub writer_closed: bool,
    /// The lines are the recent end of a file that was there before the watcher started
    /// ([`WatchSpec::catch_up`]): history to look at once for a stop nobody handled, not news.
    pub catch_up: bool,
}

/// Starts following every accepted file below `spec.root`; new lines are sent to `tx`.
///
/// `offsets` maps files (spelled as earlier [`FileLines::path`]s) to the [`FileLines::offset_after`] to
/// resume from; every other existing file starts at its end. The task ends when `shutdown` is cancelled,
/// when `tx`'s receiver is dropped, or (after logging an error) if no file watcher can be created.
pub fn spawn_jsonl_watcher(
    spec: WatchSpec,
    offsets: HashMap<PathBuf, u64>,
    tx: mpsc::Sender<FileLines>,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    let options = Options {
        raw_capacity: RAW_CAPACITY,
        ready: None,
    };
    crate::tasks::spawn(run(spec, offsets, tx, shutdown, options))
}

/// [`spawn_jsonl_watcher`], firing `ready` once the watch is in place and existing files are positioned:
/// a line appended after that is certain to be delivered.
pub fn spawn_jsonl_watcher_ready(
    spec: WatchSpec,
    offsets: HashMap<PathBuf, u64>,
    tx: mpsc::Sender<FileLines>,
    shutdown: CancellationToken,
    ready: oneshot::Sender<()>,
) -> JoinHandle<()> {
    let options = Options {
        raw_capacity: RAW_CAPACITY,
        ready: Some(ready),
    };
    crate::tasks::spawn(run(spec, offsets, tx, shutdown, options))
}

/// Knobs the tests turn.
struct Options {
    raw_capacity: usize,
    /// Fired once the watch is in place and existing files are positioned.
    ready: Option<oneshot::Sender<()>>,
}

/// How notify's thread gets the task's attention without blocking.
#[derive(Default)]
struct Signals {
    rescan: AtomicBool,
    wake: Notify,
}

impl Signals {
    fn request_rescan(&self) {
        self.rescan.store(true, Ordering::Release);
        // A stored permit survives until the task next waits, so this wake-up cannot be missed.
        self.wake.notify_one();
    }
}

/// A path notify reported, and whether the event was a writer closing it.
type RawEvent = (PathBuf, bool);

/// The sync callback run on notify's thread: forwards changed paths, never blocks.
fn event_handler(
    raw_tx: mpsc::Sender<RawEvent>,
    signals: Arc<Signals>,
    report_writer_close: bool,
) -> impl FnMut(notify::Result<notify::Event>) + Send + 'static {
    move |res| match res {
        Ok(event) if event.need_rescan() => {
            tracing::debug!("file watcher lost events; rescanning");
            signals.request_rescan();
        }
        Ok(event)
            if report_writer_close
                && event.kind == EventKind::Access(AccessKind::Close(AccessMode::Write)) =>
        {
            for path in event.paths {
                match raw_tx.try_send((path, true)) {
                    Ok(()) => {}
                    // A rescan reads what grew but cannot tell that a writer closed the file; the
                    // owner must not depend on seeing every close (Codex's source also checks on a
                    // deadline).
                    Err(mpsc::error::TrySendError::Full(_)) => signals.request_rescan(),
                    Err(mpsc::error::TrySendError::Closed(_)) => return,
                }
            }
        }
        // Opens, closes and attribute changes carry no new content (and our own reads cause them).
        Ok(event)
            if matches!(
                event.kind,
                EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
            ) => {}
        Ok(event) => {
            for path in event.paths {
                match raw_tx.try_send((path, false)) {
                    Ok(()) => {}
                    // Full: rather than block notify's thread or drop the path, fall back to a rescan,
                    // which reads every file that grew, this one included.
                    Err(mpsc::error::TrySendError::Full(_)) => signals.request_rescan(),
                    Err(mpsc::error::TrySendError::Closed(_)) => return,
                }
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, "file watcher error; rescanning");
            signals.request_rescan();
        }
    }
}

async fn run(
    spec: WatchSpec,
    offsets: HashMap<PathBuf, u64>,
    tx: mpsc::Sender<FileLines>,
    shutdown: CancellationToken,
    options: Options,
) {
    let (raw_tx, mut raw_rx) = mpsc::channel(options.raw_capacity.max(1));
    let signals = Arc::new(Signals::default());
    let handler = event_handler(raw_tx, Arc::clone(&signals), spec.report_writer_close);
    let watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(err) => {
            tracing::error!(root = %spec.root.display(), error = %err, "cannot create a file watcher");
            return;
        }
    };
    let root = spec.root.clone();
    let started =
        crate::tasks::spawn_blocking(move || Tracker::start(spec, offsets, watcher)).await;
    let Ok(mut tracker) = started else {
        tracing::error!(root = %root.display(), "file watcher failed to start");
        return;
    };
    if let Some(ready) = options.ready {
        let _ = ready.send(());
    }
    loop {
        while let Ok((path, closed)) = raw_rx.try_recv() {
            tracker.enqueue_event(path, closed);
        }
        if signals.rescan.swap(false, Ordering::AcqRel) {
            tracker.request_rescan();
        }
        let sweep_due = tracker.sweep_due();
        if sweep_due.is_some_and(|due| due <= std::time::Instant::now()) {
            tracker.sweep(std::time::Instant::now());
        }
        if tracker.is_idle() {
            // While files are followed the task wakes up to set them aside once quiet; with none it
            // sleeps until the next event.
            let sweep = async move {
                match sweep_due {
                    Some(due) => tokio::time::sleep_until(due.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return,
                raw = raw_rx.recv() => match raw {
                    Some((path, closed)) => tracker.enqueue_event(path, closed),
                    None => return,
                },
                () = signals.wake.notified() => {}
                () = sweep => {}
            }
            continue;
        }
        if shutdown.is_cancelled() {
            return;
        }
        let stepped = crate::tasks::spawn_blocking(move || {
            let batches = tracker.step();
            (tracker, batches)
        })
        .await;
        let batches;
        (tracker, batches) = match stepped {
            Ok(stepped) => stepped,
            Err(err) => {
                tracing::error!(root = %root.display(), error = %err, "file watcher step failed");
                return;
            }
        };
        for batch in batches {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return,
                sent = tx.send(batch) => if sent.is_err() {
                    tracing::debug!(root = %root.display(), "line receiver gone; watcher stopping");
                    return;
                },
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! The watcher's state and all of its file-system work, kept synchronous: the async task moves a
//! [`Tracker`] into `spawn_blocking` for each step and gets it back with the batches to send.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::dormant::{Dormant, Mark, inode};
use super::{FileLines, WatchSpec};
use crate::sources::canonical::Canon;
use crate::sources::tail::JsonlTail;

/// Bytes of lines one step delivers at most before handing back to the task (which sends them); the
/// remaining queue is worked off in the next step.
const STEP_BUDGET_BYTES: usize = 16 * 1024 * 1024;

/// Files go dormant in groups at most this often, however they are spread in time.
const MIN_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// What the notify watcher is currently pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Watched {
    /// The root, recursively.
    Root,
    /// The nearest existing ancestor of a root that does not exist yet, non-recursively.
    Ancestor(PathBuf),
}

/// A file followed right now, and when it last changed.
struct Followed {
    tail: JsonlTail,
    changed_at: Instant,
}

/// Every followed file, the paths waiting to be read, and the notify watcher.
///
/// Only files that changed within [`WatchSpec::dormant_after`] are followed (a [`JsonlTail`] each); the
/// others, the history on disk at start-up included, are [`Dormant`]: known by where they were left, and
/// followed again on their next change.
pub(super) struct Tracker {
    spec: WatchSpec,
    /// Spells every file by its real path below the root, whatever alias reached it.
    canon: Canon,
    watcher: RecommendedWatcher,
    watching: Option<Watched>,
    tails: HashMap<PathBuf, Followed>,
    dormant: Dormant,
    /// When the quietest followed file is due to go dormant.
    sweep_due: Option<Instant>,
    /// Paths to look at, in arrival order; `queued` keeps each in at most once (coalescing bursts).
    queue: VecDeque<PathBuf>,
    queued: HashSet<PathBuf>,
    /// Queued paths a writer closed since they were last read.
    closed: HashSet<PathBuf>,
    /// Files whose next batch is their start-up catch-up ([`WatchSpec::catch_up`]).
    catching_up: HashSet<PathBuf>,
    rescan: bool,
}

impl Tracker {
    /// Points the watcher at the root (or its nearest existing ancestor), then positions every existing
    /// file: at its persisted offset if `offsets` has one (and queues it for reading), else at its end,
    /// as a dormant file known by its length: nothing of it is read.
    ///
    /// The watch goes in before the scan, so nothing written after the scan can be missed.
    pub(super) fn start(
        spec: WatchSpec,
        mut offsets: HashMap<PathBuf, u64>,
        watcher: RecommendedWatcher,
    ) -> Tracker {
        let mut tracker = Tracker {
            canon: Canon::new(&spec.root),
            spec,
            watcher,
            watching: None,
            tails: HashMap::new(),
            dormant: Dormant::default(),
            sweep_due: None,
            queue: VecDeque::new(),
            queued: HashSet::new(),
            closed: HashSet::new(),
            catching_up: HashSet::new(),
            rescan: false,
        };
        tracker.retarget();
        if tracker.watching != Some(Watched::Root) {
            return tracker;
        }
        let root = tracker.spec.root.clone();
        walk_each(&root, tracker.spec.accept, &mut |path, via_link| {
            // A symlink to a file in the tree is that file, positioned once under its own spelling.
            let path = if via_link {
                tracker.canon.spelling(&path)
            } else {
                path
            };
            if tracker.tails.contains_key(&path) || tracker.dormant.contains(&path) {
                return;
            }
            if let Some(offset) = offsets.remove(&path) {
                let tail = tracker.new_tail(&path, offset);
                tracker.follow(path.clone(), tail);
                tracker.enqueue(path);
                return;
            }
            if let Some(start) = tracker.catch_up_start(&path) {
                let tail = tracker.new_tail(&path, start);
                tracker.follow(path.clone(), tail);
                tracker.catching_up.insert(path.clone());
                tracker.enqueue(path);
                return;
            }
            match fs::metadata(&path) {
                Ok(meta) => tracker.dormant.insert(
                    &path,
                    Mark {
                        len: meta.len(),
                        ino: inode(&meta),
                    },
                ),
                Err(err) => {
                    tracing::debug!(path = %path.display(), error = %err, "cannot position existing file")
                }
            }
        });
        tracing::debug!(root = %tracker.spec.root.display(), resumed = tracker.tails.len(),
            at_end = tracker.dormant.len(), "following");
        tracker
    }

    /// When [`Tracker::sweep`] has work: the quietest followed file goes dormant then.
    pub(super) fn sweep_due(&self) -> Option<Instant> {
        self.sweep_due
    }

    /// Sets aside the files that did not change within [`WatchSpec::dormant_after`] (and are not
    /// waiting to be read): only where they were left is kept.
    pub(super) fn sweep(&mut self, now: Instant) {
        let after = self.spec.dormant_after;
        let quiet: Vec<PathBuf> = self
            .tails
            .iter()
            .filter(|(path, f)| {
                now.saturating_duration_since(f.changed_at) >= after && !self.queued.contains(*path)
            })
            .map(|(path, _)| path.clone())
            .collect();
        for path in quiet {
            if let Some(followed) = self.tails.remove(&path) {
                let mark = Mark {
                    len: followed.tail.resume_offset(),
                    ino: followed.tail.identity().map_or(0, |(_, ino)| ino),
                };
                self.dormant.insert(&path, mark);
            }
        }
        self.tails.shrink_to_fit();
        self.sweep_due = self
            .tails
            .values()
            .map(|f| f.changed_at)
            .min()
            .map(|at| (at + after).max(now + MIN_SWEEP_INTERVAL));
    }

    /// Follows `path` from `tail`'s position, as changed just now.
    fn follow(&mut self, path: PathBuf, tail: JsonlTail) {
        let now = Instant::now();
        self.sweep_due
            .get_or_insert(now + self.spec.dormant_after.max(MIN_SWEEP_INTERVAL));
        self.tails.insert(
            path,
            Followed {
                tail,
                changed_at: now,
            },
        );
    }

    /// Queues a changed path for the next step; a path already queued is not queued twice.
    pub(super) fn enqueue(&mut self, path: PathBuf) {
        if self.queued.insert(path.clone()) {
            self.queue.push_back(path);
        }
    }

    /// Queues a path notify reported; `closed` when a writer closed it.
    pub(super) fn enqueue_event(&mut self, path: PathBuf, closed: bool) {
        if closed {
            self.closed.insert(path.clone());
        }
        self.enqueue(path);
    }

    /// Asks the next step to walk the root and read every file that grew (events were lost).
    pub(super) fn request_rescan(&mut self) {
        self.rescan = true;
    }

    /// Nothing to do until the next event.
    pub(super) fn is_idle(&self) -> bool {
        !self.rescan && self.queue.is_empty()
    }

    /// Does queued work, up to [`STEP_BUDGET_BYTES`] of lines, and returns the batches to send.
    pub(super) fn step(&mut self) -> Vec<FileLines> {
        if self.retarget() {
            // The root just appeared: whatever is in it already was written after we started.
            self.rescan = true;
        }
        if std::mem::take(&mut self.rescan) {
            self.rescan_root();
        }
        let mut batches = Vec::new();
        let mut bytes = 0;
        while bytes < STEP_BUDGET_BYTES {
            let Some(path) = self.queue.pop_front() else {
                break;
            };
            self.queued.remove(&path);
            bytes += self.handle(path, &mut batches);
        }
        batches
    }

    /// Moves the watch to where it should be; `true` if it has just moved onto the root.
    ///
    /// Loops until stable: after each new watch the tree is looked at again, because a directory created
    /// between the look and the watch would otherwise go unnoticed.
    fn retarget(&mut self) -> bool {
        let mut reached_root = false;
        loop {
            let desired = self.desired_watch();
            if desired == self.watching {
                return reached_root;
            }
            if let Some(current) = self.watching.take() {
                // Fails harmlessly when the watched directory was deleted (the watch went with it).
                let old = self.watch_path(&current).to_path_buf();
                let _ = self.watcher.unwatch(&old);
                if current == Watched::Root {
                    // The root is gone, and with it every file below it.
                    self.tails.clear();
                    self.dormant.clear();
                    self.sweep_due = None;
                    self.queue.clear();
                    self.queued.clear();
                    self.closed.clear();
                }
            }
            let Some(next) = desired else {
                tracing::warn!(root = %self.spec.root.display(), "no existing directory to watch");
                return reached_root;
            };
            let (path, mode) = match &next {
                Watched::Root => (self.spec.root.as_path(), RecursiveMode::Recursive),
                Watched::Ancestor(dir) => (dir.as_path(), RecursiveMode::NonRecursive),
            };
            if let Err(err) = self.watcher.watch(path, mode) {
                // Retried on the next step; a step only happens on an event, so say it loudly.
                tracing::error!(path = %path.display(), error = %err, "cannot watch directory");
                return reached_root;
            }
            tracing::debug!(path = %path.display(), ?mode, "watching");
            reached_root = next == Watched::Root;
            if reached_root {
                self.canon = Canon::new(&self.spec.root);
            }
            self.watching = Some(next);
        }
    }

    fn desired_watch(&self) -> Option<Watched> {
        let root = &self.spec.root;
        if root.is_dir() {
            return Some(Watched::Root);
        }
        root.ancestors()
            .skip(1)
            .find(|dir| dir.is_dir())
            .map(|dir| Watched::Ancestor(dir.to_path_buf()))
    }

    fn watch_path<'a>(&'a self, watched: &'a Watched) -> &'a Path {
        match watched {
            Watched::Root => &self.spec.root,
            Watched::Ancestor(dir) => dir,
        }
    }

    /// Forgets files that are gone and queues every accepted file: growth shows on reading, and a
    /// followed file that did not change costs one `stat`.
    fn rescan_root(&mut self) {
        if self.watching != Some(Watched::Root) {
            return;
        }
        let files = walk(&self.spec.root, self.spec.accept);
        let present: HashSet<&PathBuf> = files.iter().collect();
        self.tails.retain(|path, _| present.contains(path));
        self.dormant
            .retain_present(files.iter().map(PathBuf::as_path));
        for path in files {
            self.enqueue(path);
        }
    }

    /// Looks at one changed path; returns the bytes of lines it delivered.
    fn handle(&mut self, path: PathBuf, batches: &mut Vec<FileLines>) -> usize {
        let closed = self.closed.remove(&path);
        if self.watching != Some(Watched::Root) || !path.starts_with(&self.spec.root) {
            return 0;
        }
        // Through a symlinked directory (notify follows them) a file must stay the file it is.
        let path = self.canon.spelling(&path);
        let meta = match fs::metadata(&path) {
            Ok(meta) => meta,
            Err(err) => {
                if self.tails.remove(&path).is_some() || self.dormant.remove(&path).is_some() {
                    tracing::debug!(path = %path.display(), error = %err, "stopped following");
                }
                return 0;
            }
        };
        if meta.is_dir() {
            // A directory created or moved in: its files may predate the watch on it.
            for file in walk(&path, self.spec.accept) {
                self.enqueue(file);
            }
            return 0;
        }
        if !meta.is_file() || !(self.spec.accept)(&path) {
            return 0;
        }
        if !self.tails.contains_key(&path) && !self.wake(&path, &meta, closed) {
            return 0;
        }
        self.read(path, closed, batches)
    }

    /// Follows a file that is not followed yet: a dormant one from where it was left (unless it did not
    /// change), any other as [`Tracker::discover`] says. `false` when there is nothing to read.
    fn wake(&mut self, path: &Path, meta: &Metadata, closed: bool) -> bool {
        let Some(mark) = self.dormant.remove(path) else {
            return self.discover(path, meta);
        };
        if !mark.same_file(meta) {
            // Replaced or truncated while set aside: a different file now.
            return self.discover(path, meta);
        }
        if meta.len() == mark.len && !closed {
            self.dormant.insert(path, mark);
            return false;
        }
        let mut tail = self.new_tail(path, 0);
        if let Err(err) = tail.seek_to_known_end(mark.len) {
            tracing::debug!(path = %path.display(), error = %err, "cannot position file");
            return false;
        }
        self.follow(path.to_path_buf(), tail);
        true
    }

    /// Starts following a file that appeared while running: from its start if fresh, else its end.
    fn discover(&mut self, path: &Path, meta: &Metadata) -> bool {
        let age = meta
            .modified()
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok());
        let mut tail = self.new_tail(path, 0);
        if age.is_some_and(|age| age > self.spec.freshness) {
            if let Err(err) = tail.seek_to_end() {
                tracing::debug!(path = %path.display(), error = %err, "cannot position file");
                return false;
            }
            tracing::debug!(path = %path.display(), ?age, "old file appeared; following from its end");
        } else {
            tracing::debug!(path = %path.display(), "new file; reading from its start");
        }
        self.follow(path.to_path_buf(), tail);
        true
    }

    fn read(&mut self, path: PathBuf, closed: bool, batches: &mut Vec<FileLines>) -> usize {
        let Some(followed) = self.tails.get_mut(&path) else {
            return 0;
        };
        let tail = &mut followed.tail;
        let before = tail.resume_offset();
        let batch = match tail.read_new() {
            Ok(batch) => batch,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                self.tails.remove(&path);
                return 0;
            }
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "cannot read file");
                return 0;
            }
        };
        let offset_after = tail.resume_offset();
        if batch.skipped_oversize > 0 {
            tracing::warn!(path = %path.display(), count = batch.skipped_oversize,
                limit = self.spec.max_line_bytes, "skipped oversize lines");
        }
        // A close is reported with the last of the lines written before it.
        let closed = if batch.more {
            self.enqueue_event(path.clone(), closed);
            false
        } else {
            closed
        };
        let changed = !batch.lines.is_empty()
            || batch.skipped_oversize > 0
            || batch.invalid_utf8 > 0
            || batch.restarted
            || closed
            || offset_after != before;
        if !changed {
            return 0;
        }
        if let Some(followed) = self.tails.get_mut(&path) {
            followed.changed_at = Instant::now();
        }
        let bytes = batch.lines.iter().map(String::len).sum();
        let catch_up = self.catching_up.remove(&path);
        batches.push(FileLines {
            path,
            lines: batch.lines,
            offset_after,
            from_start: batch.from_start,
            skipped_oversize: batch.skipped_oversize,
            invalid_utf8: batch.invalid_utf8,
            writer_closed: closed,
            catch_up,
        });
        bytes
    }

    /// Where a file's catch-up starts: the first line that begins within its last
    /// [`CATCH_UP_TAIL_BYTES`](super::CATCH_UP_TAIL_BYTES), if the file was modified within
    /// [`WatchSpec::catch_up`]; `None` when catch-up is off, the file is older, or unreadable.
    fn catch_up_start(&self, path: &Path) -> Option<u64> {
        use std::io::{Read, Seek, SeekFrom};
        if self.spec.catch_up.is_zero() {
            return None;
        }
        let meta = fs::metadata(path).ok()?;
        let age = SystemTime::now()
            .duration_since(meta.modified().ok()?)
            .unwrap_or_default();
        if age > self.spec.catch_up {
            return None;
        }
        let len = meta.len();
        let from = len.saturating_sub(super::CATCH_UP_TAIL_BYTES);
        if from == 0 {
            return Some(0);
        }
        // Start at the first line that begins after `from` (the line `from` falls in is cut).
        let mut file = fs::File::open(path).ok()?;
        file.seek(SeekFrom::Start(from - 1)).ok()?;
        let mut buf = Vec::new();
        file.take(len - from + 1).read_to_end(&mut buf).ok()?;
        let newline = buf.iter().position(|b| *b == b'\n')?;
        Some(from - 1 + newline as u64 + 1)
    }

    fn new_tail(&self, path: &Path, offset: u64) -> JsonlTail {
        JsonlTail::new(path, offset).with_max_line_bytes(self.spec.max_line_bytes)
    }

    #[cfg(test)]
    pub(super) fn queue_len(&self) -> usize {
        self.queue.len()
    }

    #[cfg(test)]
    pub(super) fn followed_len(&self) -> usize {
        self.tails.len()
    }

    #[cfg(test)]
    pub(super) fn dormant_len(&self) -> usize {
        self.dormant.len()
    }
}

/// Every accepted regular file below `dir` (symlinks to files included, symlinked directories not
/// followed), sorted. Unreadable directories are skipped.
pub(crate) fn walk(dir: &Path, accept: fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk_each(dir, accept, &mut |path, _| files.push(path));
    files.sort();
    files
}

/// Calls `found` with every accepted regular file below `dir`, as [`walk`] picks them, in no particular
/// order and without collecting them; the flag says the entry is a symlink (to a file).
fn walk_each(dir: &Path, accept: fn(&Path) -> bool, found: &mut dyn FnMut(PathBuf, bool)) {
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => {
                tracing::debug!(dir = %dir.display(), error = %err, "cannot list directory");
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => dirs.push(path),
                Ok(kind) if kind.is_file() && accept(&path) => found(path, false),
                Ok(kind) if kind.is_symlink() && accept(&path) && path.is_file() => {
                    found(path, true)
                }
                _ => {}
            }
        }
    }
}

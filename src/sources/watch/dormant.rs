//! Files the watcher knows but does not follow right now: the history already on disk at start-up, and
//! files that have been quiet for a while. For each only where it was left is kept (its length, or the
//! start of its first undelivered line, and its inode), under a 64-bit hash of its path, so 10,000 of
//! them cost a few hundred kilobytes and reading none of them. A change reported for one brings it back
//! as a followed file that reads only what was appended since.

use std::collections::HashMap;
use std::fs::Metadata;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

/// Where a dormant file was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mark {
    /// Everything before this was seen; the first line not yet delivered starts at the last line start
    /// at or before it.
    pub(super) len: u64,
    /// The file's inode when it was left (`0`: not known).
    pub(super) ino: u64,
}

impl Mark {
    /// Whether `meta` is still the file that was left: the same inode, and not shorter (not truncated).
    pub(super) fn same_file(&self, meta: &Metadata) -> bool {
        (self.ino == 0 || inode(meta) == 0 || self.ino == inode(meta)) && meta.len() >= self.len
    }
}

/// The inode number of `meta` (`0` where the platform has none).
#[cfg(unix)]
pub(super) fn inode(meta: &Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
pub(super) fn inode(_meta: &Metadata) -> u64 {
    0
}

/// The dormant files, by path hash.
#[derive(Debug, Default)]
pub(super) struct Dormant {
    marks: HashMap<u64, Mark>,
}

fn key(path: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish()
}

impl Dormant {
    pub(super) fn insert(&mut self, path: &Path, mark: Mark) {
        self.marks.insert(key(path), mark);
    }

    pub(super) fn contains(&self, path: &Path) -> bool {
        self.marks.contains_key(&key(path))
    }

    pub(super) fn remove(&mut self, path: &Path) -> Option<Mark> {
        self.marks.remove(&key(path))
    }

    /// Keeps only the files among `present` (after a walk of the root).
    pub(super) fn retain_present<'a>(&mut self, present: impl IntoIterator<Item = &'a Path>) {
        let keep: std::collections::HashSet<u64> = present.into_iter().map(key).collect();
        self.marks.retain(|k, _| keep.contains(k));
        self.marks.shrink_to_fit();
    }

    pub(super) fn clear(&mut self) {
        self.marks = HashMap::new();
    }

    pub(super) fn len(&self) -> usize {
        self.marks.len()
    }
}

//! The files that make up the trail: `audit.jsonl`, its rotated generations `audit.jsonl.1` (newest)
//! to `audit.jsonl.N` (oldest), and the lock file `audit.jsonl.lock` that serializes every change.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::AuditError;
use crate::store::with_suffix;

/// Identity of an open file (device and inode): tells whether a path still names the file we hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    pub(crate) fn of(meta: &Metadata) -> Self {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    /// Identity of whatever `path` names now; `None` when nothing does.
    pub(crate) fn of_path(path: &Path) -> io::Result<Option<Self>> {
        match fs::metadata(path) {
            Ok(m) => Ok(Some(FileId::of(&m))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `audit.jsonl.lock` next to `audit.jsonl`.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    with_suffix(path, ".lock")
}

/// `audit.jsonl.<n>`.
pub(crate) fn rotated_path(path: &Path, n: usize) -> PathBuf {
    with_suffix(path, &format!(".{n}"))
}

/// Holds an OS lock on the lock file until dropped.
pub(crate) struct LockGuard<'a>(&'a File);

impl<'a> LockGuard<'a> {
    pub(crate) fn exclusive(file: &'a File) -> io::Result<Self> {
        file.lock()?;
        Ok(LockGuard(file))
    }

    pub(crate) fn shared(file: &'a File) -> io::Result<Self> {
        file.lock_shared()?;
        Ok(LockGuard(file))
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.unlock() {
            tracing::warn!(error = %e, "cannot unlock the audit lock file");
        }
    }
}

/// The numbers `n` of every existing `audit.jsonl.<n>`, largest (oldest) first.
fn rotated_numbers(path: &Path) -> io::Result<Vec<usize>> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let prefix = format!("{name}.");
    let mut numbers = Vec::new();
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        if !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = rest.parse::<usize>()
        {
            numbers.push(n);
        }
    }
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    Ok(numbers)
}

/// One file of the trail, opened for reading.
pub(crate) struct TrailFile {
    pub(crate) path: PathBuf,
    pub(crate) file: File,
    pub(crate) id: FileId,
    /// The live `audit.jsonl` (as opposed to a rotated generation).
    pub(crate) current: bool,
}

/// Open every file of the trail, oldest first and the current file last (when it exists).
///
/// The files are opened under a shared lock, so no rotation happens in between and the list is a
/// consistent picture; reading them afterwards needs no lock, since a rotation only renames them.
pub(crate) fn snapshot(path: &Path) -> Result<Vec<TrailFile>, AuditError> {
    let lock_file = match File::open(lock_path(path)) {
        Ok(f) => Some(f),
        // No writer has ever run: nothing to coordinate with.
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(AuditError::io(lock_path(path), "open", e)),
    };
    let _guard = match &lock_file {
        Some(f) => {
            Some(LockGuard::shared(f).map_err(|e| AuditError::io(lock_path(path), "lock", e))?)
        }
        None => None,
    };
    let numbers =
        rotated_numbers(path).map_err(|e| AuditError::io(path, "list rotated files of", e))?;
    let mut files = Vec::with_capacity(numbers.len() + 1);
    let candidates = numbers
        .into_iter()
        .map(|n| (rotated_path(path, n), false))
        .chain(std::iter::once((path.to_path_buf(), true)));
    for (p, current) in candidates {
        match open_read(&p) {
            Ok(Some((file, id))) => files.push(TrailFile {
                path: p,
                file,
                id,
                current,
            }),
            Ok(None) => {}
            Err(e) => return Err(AuditError::io(p, "open", e)),
        }
    }
    Ok(files)
}

fn open_read(path: &Path) -> io::Result<Option<(File, FileId)>> {
    match OpenOptions::new().read(true).open(path) {
        Ok(f) => {
            let id = FileId::of(&f.metadata()?);
            Ok(Some((f, id)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Shift `audit.jsonl.1..` up by one (dropping what would pass `keep`) and rename `path` to
/// `audit.jsonl.1`; with `keep == 0` the current file is simply removed. Call under the exclusive lock.
pub(crate) fn rotate(path: &Path, keep: usize) -> io::Result<()> {
    if keep == 0 {
        return fs::remove_file(path);
    }
    // Only the unbroken run .1, .2, ... moves; a gap absorbs the shift.
    let mut run = 0;
    while run < keep && rotated_path(path, run + 1).exists() {
        run += 1;
    }
    for n in (1..=run.min(keep - 1)).rev() {
        fs::rename(rotated_path(path, n), rotated_path(path, n + 1))?;
    }
    fs::rename(path, rotated_path(path, 1))
}

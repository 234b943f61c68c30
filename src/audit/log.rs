//! Appending to the trail from any number of processes without losing or tearing a line.
//!
//! Every append takes an exclusive OS lock on `audit.jsonl.lock`, then, under it:
//! 1. checks that `audit.jsonl` is still the file its descriptor points at (another process may have
//!    rotated it) and reopens it if not;
//! 2. rotates when the line would push the file past `max_bytes`;
//! 3. writes the line with one `write_all` on an `O_APPEND` descriptor.
//!
//! Lines are not fsynced: a crashed process loses nothing (the kernel has the data), a power loss may
//! lose the last lines. A line cut short by a crash mid-write is terminated before the next line is
//! written, so it costs only itself.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::files::{self, FileId, LockGuard};
use super::{AuditError, AuditEvent, MAX_LINE_BYTES};
use crate::store::create_private_dir;

/// When to rotate and how many old files to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditOptions {
    /// Rotate before a line would make `audit.jsonl` larger than this.
    pub max_bytes: u64,
    /// How many rotated files (`audit.jsonl.1` .. `audit.jsonl.<keep>`) to keep.
    pub keep: usize,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            max_bytes: 10 * 1024 * 1024,
            keep: 5,
        }
    }
}

/// An open audit trail. Cheap to share between threads (`&self` methods); each process opens its own.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    options: AuditOptions,
    lock_file: File,
    /// The descriptor for `audit.jsonl` as last seen. The mutex keeps threads of this process from
    /// sharing the lock file's OS lock (which is per open file, not per thread).
    current: Mutex<Option<Current>>,
}

#[derive(Debug)]
struct Current {
    file: File,
    id: FileId,
}

impl AuditLog {
    /// Open (creating if needed) the trail at `path`, usually [`crate::paths::Paths::audit_file`].
    /// Missing parent directories are created with mode 0700, the files with mode 0600.
    pub fn open(path: impl Into<PathBuf>, options: AuditOptions) -> Result<AuditLog, AuditError> {
        let path = path.into();
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(|e| AuditError::io(dir, "create directory", e))?;
        }
        let lock_path = files::lock_path(&path);
        let lock_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| AuditError::io(&lock_path, "open", e))?;
        let current = open_current(&path).map_err(|e| AuditError::io(&path, "open", e))?;
        Ok(AuditLog {
            path,
            options,
            lock_file,
            current: Mutex::new(Some(current)),
        })
    }

    /// Where the current file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn options(&self) -> AuditOptions {
        self.options
    }

    /// Append one event as one line. Blocks on the lock while another process appends.
    pub fn append(&self, event: &AuditEvent) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(event).map_err(AuditError::Serialize)?;
        if line.len() >= MAX_LINE_BYTES {
            return Err(AuditError::LineTooLong { len: line.len() });
        }
        line.push(b'\n');

        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let _lock = LockGuard::exclusive(&self.lock_file)
            .map_err(|e| AuditError::io(files::lock_path(&self.path), "lock", e))?;
        let io_err = |about| {
            let path = self.path.clone();
            move |e| AuditError::io(path, about, e)
        };

        let mut cur = self.refresh(&mut current).map_err(io_err("open"))?;
        let mut size = cur.file.metadata().map_err(io_err("inspect"))?.len();
        if size > 0 && size + line.len() as u64 > self.options.max_bytes {
            match files::rotate(&self.path, self.options.keep) {
                Ok(()) => tracing::debug!(path = %self.path.display(), "rotated the audit trail"),
                // Keep the line rather than lose it: it goes to the file as it stands.
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "cannot rotate the audit trail")
                }
            }
            cur = self.refresh(&mut current).map_err(io_err("reopen"))?;
            size = cur.file.metadata().map_err(io_err("inspect"))?.len();
        }
        if size > 0 && !ends_with_newline(&cur.file, size).map_err(io_err("read"))? {
            line.insert(0, b'\n');
        }
        cur.file.write_all(&line).map_err(io_err("append to"))
    }

    /// Make `current` the file the path names now (reopening after a rotation by any process).
    /// Call under the lock.
    fn refresh<'a>(&self, current: &'a mut Option<Current>) -> io::Result<&'a mut Current> {
        let on_disk = FileId::of_path(&self.path)?;
        Ok(match current.take() {
            Some(cur) if Some(cur.id) == on_disk => current.insert(cur),
            _ => current.insert(open_current(&self.path)?),
        })
    }
}

fn open_current(path: &Path) -> io::Result<Current> {
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    let id = FileId::of(&file.metadata()?);
    Ok(Current { file, id })
}

fn ends_with_newline(file: &File, size: u64) -> io::Result<bool> {
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, size - 1)?;
    Ok(last[0] == b'\n')
}

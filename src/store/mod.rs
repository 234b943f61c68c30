//! Atomic, versioned JSON files: the daemon's state survives crashes, power loss and upgrades.
//!
//! On disk every file is a wrapper `{"version": N, "data": ...}`. [`save_atomic`] writes `<file>.tmp` in
//! the same directory, fsyncs it, renames it over `<file>` and fsyncs the directory, so a reader sees the
//! old content or the new one, never a mix. [`load`] brings files written by older versions up to date
//! through [`migrate`], and moves a corrupt file aside to `<file>.corrupt-<timestamp>` so the daemon can
//! start fresh while a human can still inspect what went wrong.
//!
//! Each file has one owner that saves it from one place at a time: two processes saving the same file
//! concurrently would share `<file>.tmp`.
//!
//! The functions are synchronous; async code calls [`save_atomic_async`] and [`load_async`], which run the
//! file I/O on the blocking pool. Saving streams the JSON into the file through a small buffer, so a large
//! state never needs a second copy of itself in memory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format version [`save_atomic`] writes and [`load`] migrates up to.
///
/// Bump it when the shape of stored data changes incompatibly, and add the step to [`migrate`].
pub const CURRENT_VERSION: u32 = 1;

/// Why saving or loading a durable file failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file system refused an operation.
    #[error("cannot {about} {path}: {source}")]
    Io {
        path: PathBuf,
        about: &'static str,
        #[source]
        source: io::Error,
    },
    /// The value could not be turned into JSON.
    #[error("cannot serialize the data for {path}: {source}")]
    Serialize {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The file could not be understood; it was moved to `moved_to` (when the rename succeeded).
    /// Recoverable: log it and start from empty state.
    #[error("{path} is corrupt ({reason}); {}", moved_note(.moved_to.as_deref()))]
    Corrupt {
        path: PathBuf,
        moved_to: Option<PathBuf>,
        reason: String,
    },
    /// A newer palingenesis wrote the file. It is left untouched.
    #[error(
        "{path} has format version {found}, newer than this palingenesis reads (up to {supported}); upgrade palingenesis"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// The blocking task running the I/O panicked or was cancelled.
    #[error("background file task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn moved_note(moved_to: Option<&Path>) -> String {
    match moved_to {
        Some(p) => format!("moved aside to {}", p.display()),
        None => "could not move it aside".to_string(),
    }
}

/// A migration step could not make sense of old data.
#[derive(Debug, thiserror::Error)]
#[error("cannot migrate data from format version {from}: {reason}")]
pub struct MigrationError {
    /// The version the data was written with.
    pub from: u32,
    pub reason: String,
}

/// A migration hook: turns `data` written at format `version` into data of the current version.
pub type Migration = fn(u32, Value) -> Result<Value, MigrationError>;

/// Bring `data` written at format `version` up to [`CURRENT_VERSION`].
///
/// When `CURRENT_VERSION` is bumped to N, add an arm `N - 1 => migrate(N, step(data)?)`, so a file
/// of any older version walks through every step in turn.
pub fn migrate(version: u32, data: Value) -> Result<Value, MigrationError> {
    match version {
        CURRENT_VERSION => Ok(data),
        other => Err(MigrationError {
            from: other,
            reason: "no migration from this version exists".to_string(),
        }),
    }
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T: ?Sized> {
    version: u32,
    data: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    version: u32,
    data: Value,
}

/// Atomically replace `path` with `value`, wrapped at [`CURRENT_VERSION`].
///
/// Missing parent directories are created with mode 0700; the file gets mode 0600.
pub fn save_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), StoreError> {
    save_versioned(path, CURRENT_VERSION, value)
}

/// [`save_atomic`] for data with its own version numbering (see [`load_versioned`]).
pub fn save_versioned<T: Serialize + ?Sized>(
    path: &Path,
    version: u32,
    value: &T,
) -> Result<(), StoreError> {
    write_atomic_with(path, |file| {
        let mut out = BufWriter::with_capacity(16 * 1024, file);
        serde_json::to_writer_pretty(
            &mut out,
            &EnvelopeOut {
                version,
                data: value,
            },
        )
        .map_err(|e| match e.io_error_kind() {
            Some(_) => WriteError::Io(io::Error::from(e)),
            None => WriteError::Serialize(e),
        })?;
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(())
    })
}

/// Read `path`. `Ok(None)` when it does not exist.
///
/// A file that cannot be parsed, migrated or deserialized into `T` is renamed to
/// `<file>.corrupt-<timestamp>` and reported as [`StoreError::Corrupt`].
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, StoreError> {
    load_versioned(path, CURRENT_VERSION, migrate)
}

/// [`load`] for data with its own version numbering: `current` is the version this code writes and
/// `migration` brings older data up to it.
pub fn load_versioned<T: DeserializeOwned>(
    path: &Path,
    current: u32,
    migration: Migration,
) -> Result<Option<T>, StoreError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                about: "read",
                source,
            });
        }
    };
    match decode(&bytes, current, migration) {
        Ok(value) => Ok(Some(value)),
        Err(Decode::TooNew(found)) => Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: current,
        }),
        Err(Decode::Corrupt(reason)) => Err(move_aside(path, reason)),
    }
}

/// [`save_atomic`] from async code: serializes and writes on the blocking pool.
pub async fn save_atomic_async<T: Serialize + Send + 'static>(
    path: impl Into<PathBuf>,
    value: T,
) -> Result<(), StoreError> {
    let path = path.into();
    crate::tasks::spawn_blocking(move || save_atomic(&path, &value)).await?
}

/// [`load`] from async code, on the blocking pool.
pub async fn load_async<T: DeserializeOwned + Send + 'static>(
    path: impl Into<PathBuf>,
) -> Result<Option<T>, StoreError> {
    let path = path.into();
    crate::tasks::spawn_blocking(move || load::<T>(&path)).await?
}

/// Create `dir` and any missing parents with mode 0700 (existing directories are left as they are).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// `path` with `suffix` appended to its file name (`state.json` + `.tmp` = `state.json.tmp`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

enum Decode {
    TooNew(u32),
    Corrupt(String),
}

fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    current: u32,
    migration: Migration,
) -> Result<T, Decode> {
    let envelope: EnvelopeIn =
        serde_json::from_slice(bytes).map_err(|e| Decode::Corrupt(e.to_string()))?;
    if envelope.version > current {
        return Err(Decode::TooNew(envelope.version));
    }
    let data = if envelope.version == current {
        envelope.data
    } else {
        migration(envelope.version, envelope.data).map_err(|e| Decode::Corrupt(e.to_string()))?
    };
    serde_json::from_value(data).map_err(|e| Decode::Corrupt(e.to_string()))
}

/// Atomically replace `path` with `bytes` (0600, in a directory created 0700 if missing).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    write_atomic_with(path, |f| f.write_all(bytes).map_err(WriteError::Io))
}

/// Why writing the temporary file failed.
enum WriteError {
    Io(io::Error),
    Serialize(serde_json::Error),
}

impl From<io::Error> for WriteError {
    fn from(e: io::Error) -> Self {
        WriteError::Io(e)
    }
}

/// Writes `<path>.tmp` with `write`, fsyncs it, renames it over `path` and fsyncs the directory.
fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), WriteError>,
) -> Result<(), StoreError> {
    let io_err = |about: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| StoreError::Io {
            path: p,
            about,
            source,
        }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    create_private_dir(dir).map_err(io_err("create directory", dir))?;
    let tmp = with_suffix(path, ".tmp");
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        write(&mut file)?;
        file.sync_all()?;
        Ok(())
    })();
    match written {
        Ok(()) => {}
        Err(WriteError::Io(source)) => {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("write", &tmp)(source));
        }
        Err(WriteError::Serialize(source)) => {
            let _ = fs::remove_file(&tmp);
            return Err(StoreError::Serialize {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    if let Err(source) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(io_err("rename temporary file over", path)(source));
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("sync directory", dir))
}

/// Rename a corrupt file out of the way; never fails (the error says whether the rename worked).
fn move_aside(path: &Path, reason: String) -> StoreError {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let base = with_suffix(path, &format!(".corrupt-{stamp}"));
    let mut target = base.clone();
    let mut n = 1;
    while target.exists() {
        target = with_suffix(&base, &format!("-{n}"));
        n += 1;
    }
    let moved_to = match fs::rename(path, &target) {
        Ok(()) => Some(target),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot move corrupt file aside");
            None
        }
    };
    StoreError::Corrupt {
        path: path.to_path_buf(),
        moved_to,
        reason,
    }
}

#[cfg(test)]
mod tests;

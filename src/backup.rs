//! Transcript backups taken before palingenesis acts on a session.
//!
//! [`backup_file`] copies a transcript to `<backup_dir>/<session_id>/<YYYYMMDD-HHMMSS>.jsonl` (a `-N` suffix
//! when several land in the same second), checks the copy is complete, and prunes the session's oldest
//! backups beyond `keep`. All I/O here is blocking: call it from `tokio::task::spawn_blocking` in async code.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDateTime, Utc};
use regex::Regex;

/// The timestamp format of a backup's file name.
const STAMP: &str = "%Y%m%d-%H%M%S";
/// How many backups of one session may share a second before giving up.
const MAX_SAME_SECOND: u32 = 10_000;

/// Keep `text`, the content `path` had, beside it as `<name>.palingenesis-<YYYYMMDD-HHMMSS>.bak` (a `-N`
/// suffix when that name is taken: a second change in the same second never overwrites the first backup).
/// Used before palingenesis rewrites a file of the user's (an assistant's settings, the config).
pub fn keep_copy(path: &Path, text: &str) -> io::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let stamp = Utc::now().format(STAMP);
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    for n in 1..=MAX_SAME_SECOND {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let backup = path.with_file_name(format!("{name}.palingenesis-{stamp}{suffix}.bak"));
        // Private: the files kept hold tokens and webhook URLs.
        let opened = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&backup);
        match opened {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                return Ok(backup);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{MAX_SAME_SECOND} backups of {} in one second",
        path.display()
    )))
}

/// Why a backup could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The session id cannot be used as a directory name.
    #[error("session id {0:?} cannot name a backup directory")]
    BadSessionId(String),
    /// A file operation failed.
    #[error("{about} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        about: &'static str,
        source: io::Error,
    },
    /// The copy's size differs from the source's size when the copy started; the copy was removed.
    #[error("backup of {} is incomplete ({copied} of {expected} bytes); removed it", src.display())]
    Incomplete {
        src: PathBuf,
        expected: u64,
        copied: u64,
    },
}

fn io_err(path: &Path, about: &'static str) -> impl FnOnce(io::Error) -> BackupError {
    let path = path.to_path_buf();
    move |source| BackupError::Io {
        path,
        about,
        source,
    }
}

/// Copies `src` into the backup directory of `session_id`, named after `now`, and prunes that session's
/// backups to the newest `keep` (the new backup is always kept, so `keep` 0 acts as 1). Returns the new
/// backup's path. The source may grow while it is copied (transcripts are append-only): the backup holds
/// the bytes present when the copy started. A failure to prune is logged, not returned.
pub fn backup_file(
    src: &Path,
    backup_dir: &Path,
    session_id: &str,
    keep: usize,
    now: DateTime<Utc>,
) -> Result<PathBuf, BackupError> {
    backup_as(src, backup_dir, session_id, "jsonl", keep, now)
}

/// [`backup_file`] for any file: the copy is named `<stamp>.<ext>` in `<backup_dir>/<name>/` (a checkpoint's
/// next-step file keeps its `.md`).
pub fn backup_as(
    src: &Path,
    backup_dir: &Path,
    session_id: &str,
    ext: &str,
    keep: usize,
    now: DateTime<Utc>,
) -> Result<PathBuf, BackupError> {
    check_session_id(session_id)?;
    let dir = backup_dir.join(session_id);
    let mut source = File::open(src).map_err(io_err(src, "cannot open transcript"))?;
    let meta = source
        .metadata()
        .map_err(io_err(src, "cannot stat transcript"))?;
    if !meta.is_file() {
        let not_file = io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
        return Err(io_err(src, "cannot back up")(not_file));
    }
    let expected = meta.len();
    let dest = write_backup(&mut source, expected, src, &dir, ext, now)?;
    tracing::debug!(src = %src.display(), dest = %dest.display(), bytes = expected, "transcript backed up");

    if let Err(e) = prune(&dir, keep.max(1), &dest) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot prune old backups");
    }
    Ok(dest)
}

/// Writes `expected` bytes of `source` to a new backup in `dir`, syncs, and checks the written size. On
/// any failure the partial backup is removed.
fn write_backup(
    source: &mut impl Read,
    expected: u64,
    src: &Path,
    dir: &Path,
    ext: &str,
    now: DateTime<Utc>,
) -> Result<PathBuf, BackupError> {
    fs::create_dir_all(dir).map_err(io_err(dir, "cannot create backup directory"))?;
    let (dest, mut out) = create_unique(dir, ext, now)?;
    let result = copy_exact(source, &mut out, expected, src, &dest);
    drop(out);
    match result {
        Ok(()) => Ok(dest),
        Err(e) => {
            if let Err(rm) = fs::remove_file(&dest) {
                tracing::warn!(path = %dest.display(), error = %rm, "cannot remove failed backup");
            }
            Err(e)
        }
    }
}

fn copy_exact(
    source: &mut impl Read,
    out: &mut File,
    expected: u64,
    src: &Path,
    dest: &Path,
) -> Result<(), BackupError> {
    io::copy(&mut source.take(expected), out)
        .map_err(io_err(dest, "cannot copy transcript into"))?;
    out.sync_all().map_err(io_err(dest, "cannot sync backup"))?;
    let copied = out
        .metadata()
        .map_err(io_err(dest, "cannot stat backup"))?
        .len();
    if copied != expected {
        return Err(BackupError::Incomplete {
            src: src.to_path_buf(),
            expected,
            copied,
        });
    }
    Ok(())
}

/// Session ids become a directory name: refuse anything that could leave `backup_dir`.
fn check_session_id(id: &str) -> Result<(), BackupError> {
    let safe = !id.is_empty()
        && id != "."
        && id != ".."
        && id.len() <= 200
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if safe {
        Ok(())
    } else {
        Err(BackupError::BadSessionId(id.to_string()))
    }
}

/// Creates `<stamp>.<ext>`, or `<stamp>-N.<ext>` with N above every suffix already used for that second
/// (so a name freed by pruning is not reused out of order). `create_new` makes the claim atomic, so two
/// concurrent backups never share a file.
fn create_unique(
    dir: &Path,
    ext: &str,
    now: DateTime<Utc>,
) -> Result<(PathBuf, File), BackupError> {
    let stamp = now.format(STAMP).to_string();
    let first = next_suffix(dir, &stamp).map_err(io_err(dir, "cannot list backups in"))?;
    for n in first..first.saturating_add(MAX_SAME_SECOND) {
        let name = match n {
            0 => format!("{stamp}.{ext}"),
            n => format!("{stamp}-{n}.{ext}"),
        };
        let path = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&path, "cannot create backup")(e)),
        }
    }
    let path = dir.join(format!("{stamp}.{ext}"));
    Err(io_err(&path, "too many backups in one second for")(
        io::Error::from(io::ErrorKind::AlreadyExists),
    ))
}

/// One more than the highest suffix of a backup named for `stamp` in `dir`; 0 when there is none.
fn next_suffix(dir: &Path, stamp: &str) -> io::Result<u32> {
    let mut next = 0;
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str().filter(|n| n.starts_with(stamp)) else {
            continue;
        };
        if let Some((_, n)) = backup_order(name) {
            next = next.max(n.saturating_add(1));
        }
    }
    Ok(next)
}

/// A backup file's place in time: its stamp, then its same-second suffix.
fn backup_order(name: &str) -> Option<(NaiveDateTime, u32)> {
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{8}-\d{6})(?:-(\d+))?\.[A-Za-z0-9]+$").unwrap());
    let c = NAME.captures(name)?;
    let at = NaiveDateTime::parse_from_str(c.get(1)?.as_str(), STAMP).ok()?;
    let n = match c.get(2) {
        Some(n) => n.as_str().parse().ok()?,
        None => 0,
    };
    Some((at, n))
}

/// Removes the oldest backups in `dir` beyond `keep`, never `newest` (the one just written, which might
/// sort early if the clock went back). Files not named like backups are left alone.
fn prune(dir: &Path, keep: usize, newest: &Path) -> io::Result<()> {
    let mut backups = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(order) = name.to_str().and_then(backup_order) else {
            continue;
        };
        if entry.path() != newest && entry.file_type()?.is_file() {
            backups.push((order, entry.path()));
        }
    }
    backups.sort();
    let excess = (backups.len() + 1).saturating_sub(keep);
    for (_, path) in backups.into_iter().take(excess) {
        fs::remove_file(&path)?;
        tracing::debug!(path = %path.display(), "pruned old backup");
    }
    Ok(())
}

#[cfg(test)]
mod tests;

//! The pid file, held with an OS lock for the daemon's whole life. The lock, not the file's presence, says a
//! daemon runs: a file left by a crash is unlocked and simply taken over.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PidFileError {
    #[error("palingenesis is already running (pid {pid})")]
    AlreadyRunning { pid: u32 },
    #[error("pid file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A held pid file; removed when dropped.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    _file: File,
}

impl PidFile {
    pub fn acquire(path: &Path) -> Result<PidFile, PidFileError> {
        let io = |source| PidFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(PidFileError::AlreadyRunning {
                    pid: read_pid(&mut file).unwrap_or(0),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(PidFile {
            path: path.to_path_buf(),
            _file: file,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut s = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

/// The pid of a live daemon holding `path`'s lock, if one does. A daemon killed with SIGKILL is a zombie (or
/// gone from `/proc`) a moment before the kernel has closed all its files and so released the lock: while the
/// holder is exiting this waits, up to `grace`, for the lock to come free instead of calling it running.
pub async fn live_holder(path: &Path, grace: std::time::Duration) -> Option<u32> {
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        let pid = running_pid(path)?;
        let exiting = !crate::procfs::stat(pid).is_some_and(|s| s.running());
        if !exiting || tokio::time::Instant::now() >= deadline {
            return Some(pid);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The pid of the daemon holding `path`'s lock, if one does.
pub fn running_pid(path: &Path) -> Option<u32> {
    let mut file = File::open(path).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(_) => read_pid(&mut file),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_fails_and_names_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.pid");
        let held = PidFile::acquire(&p).unwrap();
        match PidFile::acquire(&p) {
            Err(PidFileError::AlreadyRunning { pid }) => assert_eq!(pid, std::process::id()),
            other => panic!("{other:?}"),
        }
        assert_eq!(running_pid(&p), Some(std::process::id()));
        drop(held);
        assert!(!p.exists());
        assert_eq!(running_pid(&p), None);
    }

    #[test]
    fn stale_file_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.pid");
        std::fs::write(&p, "999999\n").unwrap();
        let _held = PidFile::acquire(&p).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap().trim(),
            std::process::id().to_string()
        );
    }

    /// A lock held in the name of `pid` (by another open file description, as a dying process holds it).
    fn locked_for(pid: u32, path: &Path) -> File {
        std::fs::write(path, format!("{pid}\n")).unwrap();
        let file = File::open(path).unwrap();
        file.try_lock().unwrap();
        file
    }

    #[tokio::test]
    async fn a_live_holder_is_named_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.pid");
        let _lock = locked_for(std::process::id(), &p);
        let grace = std::time::Duration::from_secs(30);
        let held = tokio::time::timeout(std::time::Duration::from_secs(5), live_holder(&p, grace));
        assert_eq!(held.await.unwrap(), Some(std::process::id()));
    }

    #[tokio::test]
    async fn an_exiting_holder_is_waited_for_until_it_releases_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.pid");
        // A child that has exited and is not reaped: a zombie, as a killed daemon is before its files close.
        let mut zombie = std::process::Command::new("true").spawn().unwrap();
        while crate::procfs::stat(zombie.id()).is_some_and(|s| s.running()) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let lock = locked_for(zombie.id(), &p);
        let release = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            drop(lock);
        });
        assert_eq!(
            live_holder(&p, std::time::Duration::from_secs(30)).await,
            None
        );
        release.await.unwrap();
        // One that never releases it is named once the grace is over.
        let _lock = locked_for(zombie.id(), &p);
        let grace = std::time::Duration::from_millis(100);
        assert_eq!(live_holder(&p, grace).await, Some(zombie.id()));
        zombie.wait().unwrap();
    }
}

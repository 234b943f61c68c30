//! Hook payloads are written to disk before they are sent, so that a hook killed on its way to the daemon
//! loses nothing. An agent may end the hooks still running as it exits (one sends SIGTERM to its stop hooks,
//! then SIGKILL about 1.5 s later; see the assistants' notes): on a loaded machine a hook may not have
//! reached the socket by then.
//!
//! Exactly once: whoever renames a spooled file to `<name>.taken` first handles it: the daemon when the
//! hook's request arrives (it names its file), or the daemon's sweep of what was left behind by a hook
//! that died first or found no daemon.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::model::Assistant;
use crate::protocol::HookForward;

/// The payload field that names the spooled copy of a forwarded hook.
pub const SPOOL_FIELD: &str = "palingenesis_spool";
/// The payload field with the time the hook ran, for payloads handled late.
pub const SPOOLED_AT_FIELD: &str = "palingenesis_spooled_at";
/// Leftovers older than this are dropped unread: acting on a day-old stop would be a surprise.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
const TAKEN: &str = ".taken";

/// Where the spooled payloads wait, below the state directory.
pub fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("hook-spool")
}

/// What a spooled file holds.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Spooled {
    pub assistant: Assistant,
    pub payload: serde_json::Value,
}

/// A file written by a hook; [`SpoolFile::name`] goes into its request.
#[derive(Debug)]
pub struct SpoolFile {
    path: PathBuf,
}

impl SpoolFile {
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The daemon has the payload: the file has no more use (the daemon has usually taken it already).
    pub fn delivered(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Write `spooled` atomically (private, complete or absent).
pub fn write(dir: &Path, spooled: &Spooled) -> std::io::Result<SpoolFile> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let name = format!("{}.json", uuid::Uuid::new_v4());
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)?;
    serde_json::to_writer(&mut file, spooled)?;
    file.flush()?;
    let path = dir.join(&name);
    std::fs::rename(&tmp, &path)?;
    Ok(SpoolFile { path })
}

/// A spooled file's name as a request gives it: `<uuid>.json`, nothing that could point elsewhere.
pub fn valid_name(name: &str) -> bool {
    name.strip_suffix(".json")
        .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
}

/// Take `name` for handling: `Ok(Some(taken path))` for whoever takes it first, `Ok(None)` when it is
/// gone (taken already) or not a spool name.
pub fn claim(dir: &Path, name: &str) -> std::io::Result<Option<PathBuf>> {
    if !valid_name(name) {
        return Ok(None);
    }
    let taken = dir.join(format!("{name}{TAKEN}"));
    match std::fs::rename(dir.join(name), &taken) {
        Ok(()) => Ok(Some(taken)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Read a taken file and remove it.
pub fn consume(taken: &Path) -> Option<Spooled> {
    let read = std::fs::read(taken);
    let _ = std::fs::remove_file(taken);
    serde_json::from_slice(&read.ok()?).ok()
}

/// Spooled files left for at least `grace` (a hook still on its way gets that long to deliver its own);
/// files past [`MAX_AGE`] and taken files nobody finished (a daemon that died handling them) are removed.
pub fn leftovers(dir: &Path, grace: Duration, now: SystemTime) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .unwrap_or_default();
        let stale_tmp = name.ends_with(".tmp") && age > grace;
        if age > MAX_AGE || stale_tmp || (name.ends_with(TAKEN) && age > grace) {
            tracing::warn!(file = %name, "dropping a hook payload nobody handled");
            let _ = std::fs::remove_file(entry.path());
        } else if valid_name(&name) && age >= grace {
            names.push(name);
        }
    }
    names.sort();
    names
}

/// A hook request as the daemon receives it: `None` when the sweep of leftovers has handled its spooled
/// copy already; else the request, its spooled copy (if it names one) taken out of the sweep's way.
pub async fn take(dir: &Path, mut fwd: HookForward) -> Option<HookForward> {
    let name = fwd
        .payload
        .as_object_mut()
        .and_then(|o| o.remove(SPOOL_FIELD))
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|n| valid_name(n));
    let Some(name) = name else {
        return Some(fwd);
    };
    let dir = dir.to_path_buf();
    let claimed = crate::tasks::spawn_blocking(move || {
        let taken = claim(&dir, &name)?;
        if let Some(t) = &taken {
            // The request carries more than the file (the agent's pid and environment): it is what counts.
            let _ = std::fs::remove_file(t);
        }
        Ok::<_, std::io::Error>(taken.is_some())
    })
    .await;
    match claimed {
        Ok(Ok(false)) => None,
        // Cannot tell: handling it twice is the lesser harm (a repeated stop is recognised as the same).
        _ => Some(fwd),
    }
}

/// Hooks whose spooled copy was left for at least `grace`: each taken for handling, exactly once.
pub async fn sweep(dir: &Path, grace: Duration) -> Vec<HookForward> {
    let dir = dir.to_path_buf();
    let found = crate::tasks::spawn_blocking(move || {
        leftovers(&dir, grace, SystemTime::now())
            .into_iter()
            .filter_map(|name| claim(&dir, &name).ok().flatten())
            .filter_map(|taken| consume(&taken))
            .map(|s| HookForward {
                assistant: s.assistant,
                payload: s.payload,
            })
            .collect()
    })
    .await;
    found.unwrap_or_default()
}

/// Wake `tx` whenever something is spooled in `dir` (created here if missing); `None` (after a warning)
/// when the file system cannot tell, in which case only the sweep at start-up finds leftovers.
pub fn watch(dir: &Path, tx: tokio::sync::mpsc::Sender<()>) -> Option<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher};
    use std::os::unix::fs::DirBuilderExt;
    let _ = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir);
    let handler = move |res: notify::Result<notify::Event>| {
        if res.is_ok_and(|ev| matches!(ev.kind, EventKind::Create(_) | EventKind::Modify(_))) {
            // A full channel means a sweep is already pending.
            let _ = tx.try_send(());
        }
    };
    let started = notify::recommended_watcher(handler)
        .and_then(|mut w| w.watch(dir, RecursiveMode::NonRecursive).map(|()| w));
    match started {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch the hook spool");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Spooled {
        Spooled {
            assistant: Assistant::named("agent"),
            payload: serde_json::json!({ "hook_event_name": "StopFailure", "session_id": "s" }),
        }
    }

    #[test]
    fn one_claim_wins_and_the_payload_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), &sample()).unwrap();
        let name = file.name();
        let taken = claim(dir.path(), &name).unwrap().expect("first claim");
        assert_eq!(claim(dir.path(), &name).unwrap(), None, "second claim");
        assert_eq!(consume(&taken), Some(sample()));
        file.delivered();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn names_that_are_not_spool_files_are_never_claimed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.json"), "{}").unwrap();
        for name in ["x.json", "../state.json", "", "/etc/passwd"] {
            assert_eq!(claim(dir.path(), name).unwrap(), None, "{name}");
        }
        assert!(dir.path().join("x.json").exists());
    }

    #[test]
    fn leftovers_wait_out_the_grace_and_old_ones_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = write(dir.path(), &sample()).unwrap().name();
        let now = SystemTime::now();
        assert!(leftovers(dir.path(), Duration::from_secs(3), now).is_empty());
        let later = now + Duration::from_secs(4);
        assert_eq!(
            leftovers(dir.path(), Duration::from_secs(3), later),
            std::slice::from_ref(&fresh)
        );
        let next_day = now + MAX_AGE + Duration::from_secs(1);
        assert!(leftovers(dir.path(), Duration::from_secs(3), next_day).is_empty());
        assert!(!dir.path().join(&fresh).exists(), "dropped");
    }
}

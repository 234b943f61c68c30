//! Finding a resumed agent again after a restart: by the marker in its environment, then by pid and start time.

use std::collections::BTreeMap;

use super::MARKER_VAR;
use crate::procfs::ProcId;

/// The processes carrying a marker that starts with `prefix`, by attempt id (the oldest process of an
/// attempt: its agent; children inherit the marker). Blocking: reads `/proc`.
pub fn marked_processes(prefix: &str) -> BTreeMap<u64, ProcId> {
    let mut found = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    let me = std::process::id();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(raw) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let attempt = raw.split(|b| *b == 0).find_map(|kv| {
            let kv = std::str::from_utf8(kv).ok()?;
            let value = kv.strip_prefix(MARKER_VAR)?.strip_prefix('=')?;
            value.strip_prefix(prefix)?.parse::<u64>().ok()
        });
        if let (Some(attempt), Some(proc)) = (attempt, ProcId::of(pid)) {
            found
                .entry(attempt)
                .and_modify(|p: &mut ProcId| {
                    if proc.start_time < p.start_time {
                        *p = proc;
                    }
                })
                .or_insert(proc);
        }
    }
    found
}

/// Resolves once `proc` no longer runs (checked every 250 ms off the async threads).
pub async fn wait_exit(proc: ProcId) {
    loop {
        let running = crate::tasks::spawn_blocking(move || proc.still_running())
            .await
            .unwrap_or(false);
        if !running {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// How an attempt whose process outlived the previous daemon went, once that process exits: its session's
/// `transcript` written after `since` (the attempt's start) means the resumed turn ran.
pub async fn outcome_after_exit(
    proc: ProcId,
    transcript: Option<std::path::PathBuf>,
    since: chrono::DateTime<chrono::Utc>,
) -> crate::model::TurnOutcome {
    wait_exit(proc).await;
    let moved_on = crate::tasks::spawn_blocking(move || {
        let modified = std::fs::metadata(transcript?).ok()?.modified().ok()?;
        Some(chrono::DateTime::<chrono::Utc>::from(modified) > since)
    })
    .await
    .ok()
    .flatten()
    .unwrap_or(false);
    if moved_on {
        crate::model::TurnOutcome::Succeeded
    } else {
        crate::model::TurnOutcome::Exited { code: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_process_is_found_by_its_attempt_and_forgotten_once_gone() {
        let prefix = format!("/tmp/palingenesis-test-{}#", std::process::id());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env(MARKER_VAR, format!("{prefix}42"))
            .spawn()
            .unwrap();
        // `spawn` returns once the child's exec closed its descriptors, a moment before the kernel has set up
        // the new program's environment (until then `/proc/<pid>/environ` reads empty).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let found = loop {
            let found = marked_processes(&prefix);
            if found.contains_key(&42) || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(found.get(&42).map(|p| p.pid), Some(child.id()), "{found:?}");
        assert!(!marked_processes("/elsewhere#").contains_key(&42));
        let proc = found[&42];
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!proc.still_running());
        assert!(marked_processes(&prefix).is_empty());
    }
}

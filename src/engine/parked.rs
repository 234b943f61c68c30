//! Where parked sessions live: one small file per session in `<state dir>/parked/`, named after the
//! session's key (`<assistant>~<id, percent-encoded>.json`), holding the [`TrackedSession`] exactly as the
//! state file would. The engine keeps none of them in memory; these blocking functions run on the blocking
//! pool ([`super::park`] calls them).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::session::TrackedSession;
use crate::model::{Assistant, SessionKey};

/// The directory parked sessions are kept in.
pub(super) fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("parked")
}

/// The file `key` is parked in.
fn file(dir: &Path, key: &SessionKey) -> PathBuf {
    let mut name = format!("{}~", key.assistant);
    for b in key.id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    name.push_str(".json");
    dir.join(name)
}

/// The key a parked file's name stands for (None: not a parked session's file).
fn key_of(name: &str) -> Option<SessionKey> {
    let (assistant, id) = name.strip_suffix(".json")?.split_once('~')?;
    let assistant = Assistant::from_name(assistant).ok()?;
    let mut bytes = Vec::with_capacity(id.len());
    let mut rest = id.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    Some(SessionKey::new(assistant, String::from_utf8(bytes).ok()?))
}

/// Write each session to its file (atomically, durably); the keys written. A session that cannot be written
/// (a full disk, an id too long for a file name) is left out and stays in memory.
pub(super) fn put(dir: &Path, sessions: &[TrackedSession]) -> Vec<SessionKey> {
    sessions
        .iter()
        .filter(|sess| match crate::store::save_atomic(&file(dir, &sess.key), sess) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(session = %sess.key, error = %e, "could not park a quiet session; it stays in memory");
                false
            }
        })
        .map(|sess| sess.key.clone())
        .collect()
}

/// The parked copy of `key`, if there is one (the file stays until the state that holds the session again
/// is saved: see [`remove`]).
pub(super) fn get(dir: &Path, key: &SessionKey) -> Option<TrackedSession> {
    match crate::store::load::<TrackedSession>(&file(dir, key)) {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(session = %key, error = %e, "a parked session could not be read");
            None
        }
    }
}

/// Delete the parked files of `keys` (sessions back in memory and saved in the state file).
pub(super) fn remove(dir: &Path, keys: &[SessionKey]) {
    for key in keys {
        let _ = std::fs::remove_file(file(dir, key));
    }
}

/// Remove the parked files written longer than `max_age` ago, except those of `skip`; their keys.
pub(super) fn remove_older(
    dir: &Path,
    max_age: std::time::Duration,
    skip: &BTreeSet<SessionKey>,
) -> Vec<SessionKey> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let now = std::time::SystemTime::now();
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let key = key_of(entry.file_name().to_str()?).filter(|k| !skip.contains(k))?;
            let written = entry.metadata().ok()?.modified().ok()?;
            (now.duration_since(written).ok()? > max_age).then_some(())?;
            std::fs::remove_file(entry.path()).ok()?;
            Some(key)
        })
        .collect()
}

/// The keys of every parked session, from the file names alone.
pub(super) fn keys(dir: &Path) -> BTreeSet<SessionKey> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| key_of(e.file_name().to_str()?))
        .collect()
}

/// Every parked session except those in `skip` (back in memory, their file not yet removed).
pub(super) fn all(dir: &Path, skip: &BTreeSet<SessionKey>) -> Vec<TrackedSession> {
    keys(dir)
        .into_iter()
        .filter(|key| !skip.contains(key))
        .filter_map(|key| get(dir, &key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str) -> TrackedSession {
        let key = SessionKey::new(Assistant::named("claude"), id);
        TrackedSession::new(key, Default::default(), chrono::Utc::now())
    }

    #[test]
    fn file_names_stand_for_their_keys_whatever_the_id() {
        for id in ["3f2a-b1", "ses_01J", "a/b", "../x", "é~%.json", ""] {
            let key = SessionKey::new(Assistant::named("claude"), id);
            let path = file(Path::new("/p"), &key);
            let name = path.file_name().unwrap().to_str().unwrap();
            assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
            assert_eq!(key_of(name), Some(key), "{name}");
        }
        assert_eq!(key_of("state.json.tmp"), None);
        assert_eq!(key_of("claude~x%4.json"), None);
    }

    #[test]
    fn parked_sessions_are_written_listed_read_and_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = dir(tmp.path());
        let (a, b) = (session("a1"), session("b/2"));
        assert_eq!(put(&dir, &[a.clone(), b.clone()]).len(), 2);
        assert_eq!(keys(&dir), BTreeSet::from([a.key.clone(), b.key.clone()]));
        assert_eq!(get(&dir, &b.key), Some(b.clone()));
        assert_eq!(all(&dir, &BTreeSet::from([a.key.clone()])), vec![b.clone()]);
        remove(&dir, std::slice::from_ref(&a.key));
        assert_eq!(keys(&dir), BTreeSet::from([b.key.clone()]));
        assert_eq!(get(&dir, &a.key), None);
        let none = BTreeSet::new();
        let day = std::time::Duration::from_secs(86_400);
        assert!(remove_older(&dir, day, &none).is_empty());
        assert!(
            remove_older(
                &dir,
                std::time::Duration::ZERO,
                &BTreeSet::from([b.key.clone()])
            )
            .is_empty()
        );
        assert_eq!(
            remove_older(&dir, std::time::Duration::ZERO, &none),
            vec![b.key.clone()]
        );
        assert!(keys(&dir).is_empty());
    }
}

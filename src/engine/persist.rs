//! The engine's durable state: sessions, pause flag, read offsets. Saved atomically after changes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::session::TrackedSession;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct EngineSnapshot {
    #[serde(default)]
    pub paused: bool,
    #[serde(default)]
    pub sessions: Vec<TrackedSession>,
    #[serde(default)]
    pub offsets: BTreeMap<PathBuf, u64>,
    #[serde(default)]
    pub next_attempt_id: u64,
}

/// Writes the state (the engine then schedules handing back what the burst left behind, [`crate::memory`]).
pub async fn save(path: PathBuf, snapshot: EngineSnapshot) -> Result<(), crate::store::StoreError> {
    crate::store::save_atomic_async(path, snapshot).await
}

pub async fn load(path: PathBuf) -> Result<Option<EngineSnapshot>, crate::store::StoreError> {
    crate::store::load_async(path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the checked-in fixture (loading moves a corrupt file aside; the fixture must stay put).
    fn fixture_copy(dir: &std::path::Path) -> std::path::PathBuf {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/state/state-v1.json");
        let dst = dir.join("state-v1.json");
        std::fs::copy(src, &dst).unwrap();
        dst
    }

    /// A state file written by palingenesis 0.1 must keep loading in later versions.
    #[test]
    fn the_version_1_fixture_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let snap: EngineSnapshot = crate::store::load(&fixture_copy(dir.path()))
            .unwrap()
            .expect("fixture exists");
        assert!(snap.paused);
        assert_eq!(snap.sessions.len(), 2);
        assert_eq!(snap.next_attempt_id, 7);
        assert!(matches!(
            snap.sessions[0].phase,
            crate::engine::session::Phase::Waiting { .. }
        ));
        assert_eq!(
            snap.offsets.values().copied().collect::<Vec<_>>(),
            vec![48213]
        );
    }

    #[test]
    fn snapshots_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let snap: EngineSnapshot = crate::store::load(&fixture_copy(dir.path()))
            .unwrap()
            .unwrap();
        crate::store::save_atomic(&path, &snap).unwrap();
        assert_eq!(
            crate::store::load::<EngineSnapshot>(&path)
                .unwrap()
                .unwrap(),
            snap
        );
    }
}

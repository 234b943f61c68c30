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

pub async fn save(path: PathBuf, snapshot: EngineSnapshot) -> Result<(), crate::store::StoreError> {
    crate::store::save_atomic_async(path, &snapshot).await
}

pub async fn load(path: PathBuf) -> Result<Option<EngineSnapshot>, crate::store::StoreError> {
    crate::store::load_async(path).await
}

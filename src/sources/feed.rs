//! What every file-following source shares: the watch settings taken from the config, and handing a batch's
//! observations and its new read offset to the engine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;

use super::watch::{FileLines, WatchSpec};
use crate::config::Config;
use crate::engine::EngineMsg;
use crate::model::Observation;

/// Follow the files `accept` picks below `root`, with the configured line cap and freshness.
pub fn watch_spec(root: PathBuf, accept: fn(&Path) -> bool, config: &Config) -> WatchSpec {
    WatchSpec {
        max_line_bytes: config.monitoring.max_line_bytes,
        freshness: Duration::from_secs(config.monitoring.freshness_secs),
        ..WatchSpec::new(root, accept)
    }
}

/// Send `observations` and then `batch`'s new offset (persisted with the engine's state, so a restart
/// resumes after these lines). `false` once the engine is gone.
pub async fn forward(
    engine: &mpsc::Sender<EngineMsg>,
    observations: Vec<Observation>,
    batch: &FileLines,
) -> bool {
    for obs in observations {
        if engine.send(EngineMsg::Observe(obs)).await.is_err() {
            return false;
        }
    }
    engine
        .send(EngineMsg::Offsets(vec![(
            batch.path.clone(),
            batch.offset_after,
        )]))
        .await
        .is_ok()
}

//! What every file-following source shares: the watch settings taken from the config, and handing a batch's
//! observations and its new read offset to the engine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::watch::{FileLines, WatchSpec};
use crate::model::{Observation, SourceEvent, SourceTx};

/// The `[monitoring]` settings every file-following source uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedSettings {
    /// Longer lines are skipped (and counted), never buffered whole.
    pub max_line_bytes: usize,
    /// Lines older than this when first read are history, not news.
    pub freshness: Duration,
    /// A file this recently modified when the daemon starts, never followed before, has its end looked
    /// at once for a stop nobody handled. Zero: off.
    pub catch_up: Duration,
}

/// Follow the files `accept` picks below `root`, with the configured line cap and freshness.
pub fn watch_spec(root: PathBuf, accept: fn(&Path) -> bool, settings: FeedSettings) -> WatchSpec {
    WatchSpec {
        max_line_bytes: settings.max_line_bytes,
        freshness: settings.freshness,
        catch_up: settings.catch_up,
        ..WatchSpec::new(root, accept)
    }
}

/// Send `observations` and then `batch`'s new offset (persisted with the engine's state, so a restart
/// resumes after these lines). `false` once the engine is gone.
pub async fn forward(engine: &SourceTx, observations: Vec<Observation>, batch: &FileLines) -> bool {
    for obs in observations {
        if engine.send(SourceEvent::Observe(obs)).await.is_err() {
            return false;
        }
    }
    engine
        .send(SourceEvent::Offsets(vec![(
            batch.path.clone(),
            batch.offset_after,
        )]))
        .await
        .is_ok()
}

//! Qwen Code chats → observations. Follows every `<projects>/<project>/chats/<session>.jsonl` incrementally
//! and turns each line into a signal with the pure parser; garbage lines are skipped and counted.

use std::path::{Path, PathBuf};

use chrono::Utc;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::records::{chat_path_session_id, parse_chat_line};
use crate::adapter::{SourceRun, Sources};
use crate::model::{Locator, Observation, Origin, SessionKey, Signal};
use crate::sources::feed::{FeedSettings, forward, watch_spec};
use crate::sources::watch::{FileLines, spawn_jsonl_watcher_ready};

/// A Qwen Code chat file.
pub fn is_chat(path: &Path) -> bool {
    chat_path_session_id(path).is_some()
}

/// The chats below `root`, as a source to start.
pub struct Chats {
    pub root: PathBuf,
    pub feed: FeedSettings,
}

impl Sources for Chats {
    fn spawn(self: Box<Self>, run: SourceRun<'_>) -> Vec<tokio::sync::oneshot::Receiver<()>> {
        let (ready, is_ready) = SourceRun::ready_pair();
        let offsets = run.offsets_below(&self.root);
        let (tx, mut rx) = mpsc::channel::<FileLines>(256);
        let spec = watch_spec(self.root, is_chat, self.feed);
        let watcher = spawn_jsonl_watcher_ready(spec, offsets, tx, run.stop.clone(), ready);
        let engine = run.events;
        run.tracker.spawn(async move {
            let tz = crate::classify::env_tz();
            let mut garbage: u64 = 0;
            while let Some(batch) = rx.recv().await {
                if !forward(&engine, observations(&batch, tz, &mut garbage), &batch).await {
                    return;
                }
            }
            let _ = watcher.await;
        });
        vec![is_ready]
    }
}

/// The observations in one batch of new lines. Lines that do not parse are counted in `garbage`.
pub fn observations(batch: &FileLines, tz: chrono_tz::Tz, garbage: &mut u64) -> Vec<Observation> {
    let file_session = chat_path_session_id(&batch.path);
    if batch.skipped_oversize > 0 {
        warn!(path = %batch.path.display(), skipped = batch.skipped_oversize, "oversized chat lines skipped");
    }
    let mut out = Vec::new();
    // A new chat announces its session at its first line, while the agent surely still runs.
    let mut announce = batch.from_start;
    for line in &batch.lines {
        let record = match parse_chat_line(line, tz) {
            Ok(r) => r,
            Err(e) => {
                *garbage += 1;
                debug!(path = %batch.path.display(), error = %e, total = *garbage, "unparseable chat line skipped");
                continue;
            }
        };
        let signal = match record.signal {
            Some(signal) => signal,
            None if announce && record.cwd.is_some() => Signal::Started { resumed: false },
            None => continue,
        };
        announce = false;
        let Some(id) = file_session.clone().or(record.session_id) else {
            continue;
        };
        out.push(Observation {
            session: SessionKey::new(super::ASSISTANT, id),
            at: record.at.unwrap_or_else(Utc::now),
            signal,
            origin: Origin::Transcript,
            locator: Locator {
                cwd: record.cwd,
                transcript: Some(batch.path.clone()),
                ..Default::default()
            },
        });
    }
    out
}

//! Claude Code transcripts → observations. Follows every `<projects>/<dir>/<session>.jsonl` incrementally and
//! turns each line into a signal with the pure parser; garbage lines are skipped and counted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::Utc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

use crate::adapter::{SourceRun, Sources};
use crate::assistants::claude::records::{parse_transcript_line, transcript_path_session_id};
use crate::model::SourceTx;
use crate::model::{Locator, Observation, Origin, SessionKey, Signal};
use crate::sources::feed::FeedSettings;
use crate::sources::feed::{forward, watch_spec};
use crate::sources::watch::{FileLines, spawn_jsonl_watcher_ready};

/// A Claude Code session transcript (not a subagent's, which live in a `subagents/` folder).
pub fn is_transcript(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
        && !path.components().any(|c| c.as_os_str() == "subagents")
        && transcript_path_session_id(path).is_some()
}

/// The transcripts below `root`, as a source to start.
pub struct Transcripts {
    pub root: PathBuf,
    pub feed: FeedSettings,
}

impl Sources for Transcripts {
    fn spawn(self: Box<Self>, run: SourceRun<'_>) -> Vec<tokio::sync::oneshot::Receiver<()>> {
        let (ready, is_ready) = SourceRun::ready_pair();
        let offsets = run.offsets_below(&self.root);
        spawn(
            self.root,
            offsets,
            self.feed,
            run.events,
            run.tracker,
            run.stop,
            ready,
        );
        vec![is_ready]
    }
}

pub fn spawn(
    root: PathBuf,
    offsets: HashMap<PathBuf, u64>,
    feed: FeedSettings,
    engine: SourceTx,
    tracker: &TaskTracker,
    stop: CancellationToken,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let (tx, mut rx) = mpsc::channel::<FileLines>(256);
    let spec = watch_spec(root, is_transcript, feed);
    let watcher = spawn_jsonl_watcher_ready(spec, offsets, tx, stop.clone(), ready);
    tracker.spawn(async move {
        let tz = crate::classify::env_tz();
        let mut garbage: u64 = 0;
        while let Some(batch) = rx.recv().await {
            if !forward(&engine, observations(&batch, tz, &mut garbage), &batch).await {
                return;
            }
        }
        let _ = watcher.await;
    });
}

/// The observations in one batch of new lines. Lines that do not parse are counted in `garbage`.
pub fn observations(batch: &FileLines, tz: chrono_tz::Tz, garbage: &mut u64) -> Vec<Observation> {
    let file_session = transcript_path_session_id(&batch.path);
    if batch.skipped_oversize > 0 {
        warn!(path = %batch.path.display(), skipped = batch.skipped_oversize, "oversized transcript lines skipped");
    }
    let mut out = Vec::new();
    // A new transcript announces its session at its first line, while the agent is surely still running
    // (the engine then learns how to reach it), not only at its first signal.
    let mut announce = batch.from_start;
    use crate::sources::garbage::{count, torn_tail};
    count(
        "claude-transcripts",
        (batch.skipped_oversize + batch.invalid_utf8) as u64,
    );
    for line in &batch.lines {
        let parsed = parse_transcript_line(line, tz).or_else(|e| {
            count("claude-transcripts", 1);
            torn_tail(line)
                .ok_or(e)
                .and_then(|t| parse_transcript_line(t, tz))
        });
        let record = match parsed {
            Ok(r) => r,
            Err(e) => {
                *garbage += 1;
                debug!(path = %batch.path.display(), error = %e, total = *garbage, "unparseable transcript line skipped");
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
        if batch.catch_up {
            // History from before the daemon started: only a stop at its very end is news.
            out.clear();
            if !matches!(signal, Signal::Stopped { .. }) {
                continue;
            }
        }
        out.push(Observation {
            session: SessionKey::new(crate::assistants::claude::ASSISTANT, id),
            at: record.at.unwrap_or_else(Utc::now),
            signal,
            origin: if batch.catch_up {
                Origin::CatchUp
            } else {
                Origin::Transcript
            },
            locator: Locator {
                cwd: record.cwd,
                transcript: Some(batch.path.clone()),
                ..Default::default()
            },
        });
    }
    out
}

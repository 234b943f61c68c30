//! Codex CLI rollouts → observations. Follows every `<CODEX_HOME>/sessions/YYYY/MM/DD/rollout-*.jsonl`
//! incrementally (one [`CodexRolloutState`](crate::assistants::codex::records::CodexRolloutState) per file) and reports
//! the stops recorded in `task_complete.error`, and crashes: a turn left open by a process that died.
//!
//! - A file followed from somewhere other than its start (its end at cold start, a persisted offset) is
//!   first read at both ends ([`prime`]) for its session id, cwd and whether its last turn is open.
//! - At start, recent rollouts whose last turn is open are looked at at once: a Codex that died while
//!   the daemon was down is a crash too (the engine judges whether it is still fresh).
//! - Liveness deadlines live in this task (the `files` module decides them); an idle daemon with no open turn has
//!   none.

mod files;
mod prime;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::tz::Tz;
use chrono::Utc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

pub use files::{CRASH_EVIDENCE, Probe, QUIET, Rollouts, Schedule};
pub use prime::{PRIME_TAIL_BYTES, Primed, prime, recent_rollouts};

use crate::adapter::{SourceRun, Sources};
use crate::model::{SourceEvent, SourceTx};
use crate::sources::feed::FeedSettings;
use crate::sources::feed::{forward, watch_spec};
use crate::sources::watch::{FileLines, spawn_jsonl_watcher_ready};
use crate::timers::Timers;

/// A Codex rollout file: `rollout-….jsonl`.
pub fn is_rollout(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("rollout-") && n.ends_with(".jsonl"))
}

/// The thread id at the end of a rollout's name (`rollout-2026-11-24T01-03-59-<uuid>.jsonl`).
pub fn rollout_thread_id(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let start = stem.len().checked_sub(36)?;
    let id = stem.get(start..)?;
    uuid::Uuid::parse_str(id).ok().map(|_| id.to_string())
}

/// The zone Codex processes on this machine write local times in: `$TZ`, else the machine's zone
/// (`/etc/localtime`), else UTC. Reads a link or a file: call it off the async threads.
pub fn codex_tz() -> Tz {
    match std::env::var("TZ") {
        Ok(name) if !name.trim().is_empty() => crate::classify::tz_from_name(Some(&name)),
        _ => Tz::machine_local().unwrap_or(Tz::UTC),
    }
}

/// The rollouts below `root`, as a source to start.
pub struct RolloutSource {
    pub root: PathBuf,
    pub feed: FeedSettings,
}

impl Sources for RolloutSource {
    fn file_roots(&self) -> Vec<PathBuf> {
        vec![self.root.clone()]
    }

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

/// Follow the rollouts below `root` (`<CODEX_HOME>/sessions`) and feed the engine until `stop`.
pub fn spawn(
    root: PathBuf,
    offsets: HashMap<PathBuf, u64>,
    feed: FeedSettings,
    engine: SourceTx,
    tracker: &TaskTracker,
    stop: CancellationToken,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let (tx, rx) = mpsc::channel::<FileLines>(256);
    let mut spec = watch_spec(root.clone(), is_rollout, feed);
    spec.report_writer_close = true;
    let source = Source {
        root,
        max_line_bytes: spec.max_line_bytes,
        freshness: spec.freshness,
        engine,
        rollouts: Rollouts::new(Tz::UTC),
        deadlines: Timers::default(),
        forget_due: Utc::now() + FORGET_AFTER,
    };
    let watcher = spawn_jsonl_watcher_ready(spec, offsets, tx, stop.clone(), ready);
    crate::tasks::spawn_tracked(tracker, async move {
        source.run(rx, stop).await;
        let _ = watcher.await;
    });
}

struct Source {
    root: PathBuf,
    max_line_bytes: usize,
    freshness: std::time::Duration,
    engine: SourceTx,
    rollouts: Rollouts,
    deadlines: Timers<PathBuf>,
    /// When rollouts quiet with a closed turn are next forgotten.
    forget_due: chrono::DateTime<Utc>,
}

/// A rollout with a closed turn that got no lines for this long leaves memory (its state is primed
/// again from its ends when it is written again).
const FORGET_AFTER: chrono::Duration = chrono::Duration::minutes(10);

impl Source {
    async fn run(mut self, mut rx: mpsc::Receiver<FileLines>, stop: CancellationToken) {
        self.start().await;
        loop {
            let alive = tokio::select! {
                _ = stop.cancelled() => false,
                batch = rx.recv() => match batch {
                    Some(batch) => self.on_batch(batch).await,
                    None => false,
                },
                Some(path) = self.deadlines.next_expired() => self.on_deadline(path).await,
            };
            if !alive {
                return;
            }
        }
    }

    /// Learn the zone, and look at recent rollouts whose last turn is open.
    async fn start(&mut self) {
        let root = self.root.clone();
        let freshness = self.freshness;
        let max = self.max_line_bytes;
        let found = crate::tasks::spawn_blocking(move || {
            let tz = codex_tz();
            let primed: Vec<(PathBuf, Primed)> = recent_rollouts(&root, is_rollout, freshness)
                .into_iter()
                .filter_map(|p| prime(&p, tz, max).ok().map(|primed| (p, primed)))
                .collect();
            (tz, primed)
        })
        .await;
        let Ok((tz, primed)) = found else {
            warn!("could not read recent codex rollouts at start");
            return;
        };
        self.rollouts = Rollouts::new(tz);
        let now = Utc::now();
        for (path, primed) in primed {
            let schedule = self.rollouts.insert_primed(&path, primed, now);
            if schedule != Schedule::Disarm {
                debug!(path = %path.display(), "a recent rollout's last turn is open; looking at its writer");
            }
            self.schedule(path, schedule);
        }
    }

    async fn on_batch(&mut self, batch: FileLines) -> bool {
        if (batch.catch_up || !batch.from_start) && !self.rollouts.knows(&batch.path) {
            let (path, tz, max) = (batch.path.clone(), self.rollouts.tz(), self.max_line_bytes);
            match crate::tasks::spawn_blocking(move || prime(&path, tz, max)).await {
                Ok(Ok(primed)) => {
                    let schedule = self.rollouts.insert_primed(&batch.path, primed, Utc::now());
                    self.schedule(batch.path.clone(), schedule);
                }
                Ok(Err(e)) => {
                    debug!(path = %batch.path.display(), error = %e, "cannot read rollout's ends")
                }
                Err(e) => warn!(error = %e, "rollout priming failed"),
            }
        }
        let now = Utc::now();
        if now >= self.forget_due {
            self.rollouts.forget_quiet(now - FORGET_AFTER);
            self.forget_due = now + FORGET_AFTER;
        }
        if batch.catch_up {
            // History from before the daemon started: only a stop at its very end is news.
            let caught = self.rollouts.catch_up(&batch, now);
            return forward(&self.engine, caught.into_iter().collect(), &batch).await;
        }
        let (observations, schedule) = self.rollouts.apply(&batch, now);
        self.schedule(batch.path.clone(), schedule);
        forward(&self.engine, observations, &batch).await
    }

    async fn on_deadline(&mut self, path: PathBuf) -> bool {
        if !self.rollouts.turn_open(&path) {
            return true;
        }
        let p = path.clone();
        let probe = crate::tasks::spawn_blocking(move || Probe {
            written: match crate::procfs::writer_of(&p) {
                crate::procfs::Writer::Pid(_) => Some(true),
                crate::procfs::Writer::Nobody => Some(false),
                crate::procfs::Writer::Unknown => None,
            },
            len: std::fs::metadata(&p).ok().map(|m| m.len()),
        })
        .await;
        let Ok(probe) = probe else {
            return true;
        };
        let (crash, schedule) = self.rollouts.looked(&path, probe, Utc::now());
        self.schedule(path, schedule);
        match crash {
            Some(obs) => {
                info!(session = %obs.session, "codex died mid-turn");
                self.engine.send(SourceEvent::Observe(obs)).await.is_ok()
            }
            None => true,
        }
    }

    fn schedule(&mut self, path: PathBuf, schedule: Schedule) {
        match schedule {
            Schedule::Keep => {}
            Schedule::Disarm => self.deadlines.disarm(&path),
            Schedule::At(at) => self.deadlines.arm(path, at),
        }
    }
}

#[cfg(test)]
mod tests;

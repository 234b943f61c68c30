//! The write-ahead journal: what the engine must not forget if it is killed (kill -9, power loss) between
//! two saves of its state file.
//!
//! State is saved at most every 200 ms, so without the journal a stop seen just before a kill could be
//! announced (audit trail, notifications) and then forgotten, and a resume attempt spawned just before a kill
//! could be spawned again after the restart. The journal closes both windows:
//!
//! - **Stops are durable before they are acknowledged.** Every stop observation is appended (and fsynced)
//!   before any later audit event leaves: the engine's audit events pass through the journal's writer, in
//!   order, and wait for the entries queued before them ([`Journal::audit`]). At start the stops in the
//!   journal are fed to the engine again; one it already handled is recognised as such.
//! - **An attempt is recorded before its process is spawned.** The attempt's intent (session, stop, action,
//!   id, deadlines) is durable before the resumer runs ([`Journal::attempt`]), and the spawned process
//!   carries [`MARKER_VAR`] in its environment. After a restart, the daemon (`daemon::recover`) puts an
//!   attempt the state file missed back in place, then looks for its process by that marker in `/proc`
//!   ([`marked_processes`]; then pid and start time): still
//!   running, the engine waits for it instead of judging it after 5 s; gone, the session's transcript tells
//!   whether it moved on since the attempt started (then the resume worked and is not repeated). Otherwise
//!   the engine's usual verification decides: never a second resume beside a live one, never a stop lost.
//! - **A new session's take-over is recorded when the attempt learns its id** ([`Journal::successor`]). An
//!   attempt that starts a new session (the context strategy, a hand-off to another assistant) works in that
//!   session, not in the stopped one's transcript. After a restart the engine puts the take-over back in place
//!   before it looks at the attempts in flight, so the attempt's process (or, once it is gone, the engine's
//!   usual verification) is judged by the new session, and the stopped one is not resumed a second time.
//!
//! Entries are compacted away once a state save that covers them succeeded ([`Journal::compact`]).
//! Blocking file I/O happens on the journal's own thread (`writer`) and, at start, on the blocking pool.

mod procs;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

pub use procs::{marked_processes, outcome_after_exit, wait_exit};

use crate::audit::{AuditEvent, AuditWriter};
use crate::decide::Action;
use crate::model::{Locator, Observation, SessionKey, StopReason};
use crate::procfs::ProcId;

/// The environment variable a resumed agent process carries: `<state dir>#<attempt id>`.
pub const MARKER_VAR: &str = "PALINGENESIS_ATTEMPT";

/// One journal line.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// A stop as a source reported it.
    Stop { seq: u64, observation: Observation },
    /// A resume attempt about to be spawned.
    Attempt { seq: u64, attempt: AttemptIntent },
    /// An attempt's new session took over from the stopped one.
    Successor { seq: u64, successor: SuccessorNote },
}

impl Entry {
    pub fn seq(&self) -> u64 {
        match self {
            Entry::Stop { seq, .. } | Entry::Attempt { seq, .. } | Entry::Successor { seq, .. } => {
                *seq
            }
        }
    }
}

/// Everything needed to put an attempt back in place if the state file never heard of it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AttemptIntent {
    pub session: SessionKey,
    pub locator: Locator,
    pub last_stop: Option<StopNote>,
    pub action: Action,
    pub attempt_id: u64,
    pub started_at: DateTime<Utc>,
    pub verify_by: DateTime<Utc>,
}

/// An attempt that starts a new session (a fresh one seeded from the next-step notes, or another assistant's
/// in a hand-off) learned that session's id: from then on the attempt is the new session's, and the stopped
/// one is done (or handed off). After a kill, the attempt is judged by the new session, not by the old
/// transcript, which the new session does not write.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SuccessorNote {
    /// The stopped session.
    pub replaced: SessionKey,
    pub attempt_id: u64,
    /// The new session.
    pub session: SessionKey,
    pub locator: Locator,
}

/// The stop an attempt resumes from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StopNote {
    pub reason: StopReason,
    pub at: DateTime<Utc>,
    pub evidence: String,
}

/// What a journal held at start, for [`Journal::start`].
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every entry that reads, in order.
    pub entries: Vec<Entry>,
    /// Attempts whose process outlived the previous daemon, by session: (attempt id, process).
    pub live: std::collections::BTreeMap<SessionKey, (u64, ProcId)>,
    /// New sessions that took over an attempt the state file still has on the stopped session.
    pub successors: Vec<SuccessorNote>,
}

/// What goes down the writer's queue, in order.
enum Item {
    Entry(Entry, Option<oneshot::Sender<()>>),
    Audit(AuditEvent),
    /// Drop every entry with a sequence number up to this one (a state save covers them).
    Compact(u64),
    /// Answer once everything queued before has been handled (audit events handed to the audit writer).
    Flush(oneshot::Sender<()>),
}

/// The engine's handle on the journal. Cheap to clone.
#[derive(Clone)]
pub struct Journal {
    /// `None`: a journal that keeps nothing ([`Journal::off`]).
    queue: Option<mpsc::UnboundedSender<Item>>,
    seq: Arc<AtomicU64>,
    marker_prefix: String,
    /// Attempts whose process outlived the previous daemon, by session: (attempt id, process).
    live: Arc<std::collections::BTreeMap<SessionKey, (u64, ProcId)>>,
    /// New sessions the state file missed, to put in place at start ([`Loaded::successors`]).
    successors: Arc<Vec<SuccessorNote>>,
    audit: AuditWriter,
}

impl Journal {
    /// Start the writer thread on `path` (created 0600 if missing), which holds `loaded`'s entries.
    pub fn start(path: PathBuf, state_dir: &Path, audit: AuditWriter, loaded: Loaded) -> Journal {
        let (queue, rx) = mpsc::unbounded_channel();
        let last_seq = loaded.entries.iter().map(Entry::seq).max().unwrap_or(0);
        writer::spawn(path, loaded.entries, rx, audit.clone());
        Journal {
            queue: Some(queue),
            seq: Arc::new(AtomicU64::new(last_seq)),
            marker_prefix: marker_prefix(state_dir),
            live: Arc::new(loaded.live),
            successors: Arc::new(loaded.successors),
            audit,
        }
    }

    /// A journal that keeps nothing (unit tests of the engine): audit events go straight through.
    pub fn off(audit: AuditWriter) -> Journal {
        Journal {
            queue: None,
            seq: Arc::new(AtomicU64::new(0)),
            marker_prefix: String::new(),
            live: Arc::default(),
            successors: Arc::default(),
            audit,
        }
    }

    /// Record `event` in the audit trail once every entry queued before it is durable.
    pub fn audit(&self, event: AuditEvent) {
        let Some(queue) = &self.queue else {
            return self.audit.record(event);
        };
        if let Err(mpsc::error::SendError(Item::Audit(event))) = queue.send(Item::Audit(event)) {
            // The writer is gone (shutting down): the audit trail still gets it.
            self.audit.record(event);
        }
    }

    /// Append a stop observation.
    pub fn stop(&self, observation: &Observation) {
        let seq = self.next_seq();
        let entry = Entry::Stop {
            seq,
            observation: observation.clone(),
        };
        self.send(Item::Entry(entry, None));
    }

    /// Append an attempt's intent; the returned future resolves once it is durable (or the journal is
    /// gone, in which case waiting longer would not help).
    pub fn attempt(&self, attempt: AttemptIntent) -> impl std::future::Future<Output = ()> + use<> {
        let seq = self.next_seq();
        let (done, durable) = oneshot::channel();
        // Without a journal the sender is dropped here and the wait ends at once.
        self.send(Item::Entry(Entry::Attempt { seq, attempt }, Some(done)));
        async move {
            let _ = durable.await;
        }
    }

    /// Append that an attempt's new session took over from the stopped one.
    pub fn successor(&self, successor: SuccessorNote) {
        let seq = self.next_seq();
        self.send(Item::Entry(Entry::Successor { seq, successor }, None));
    }

    /// New sessions that took over an attempt the state file still has on the stopped session (the previous
    /// daemon was killed before saving): the engine puts them in place at start.
    pub fn successors(&self) -> &[SuccessorNote] {
        &self.successors
    }

    /// The last sequence number handed out: a state save taken now covers every entry up to it.
    pub fn last_seq(&self) -> u64 {
        self.seq.load(Ordering::SeqCst)
    }

    /// A state save covering entries up to `upto` succeeded: they are no longer needed.
    pub fn compact(&self, upto: u64) {
        self.send(Item::Compact(upto));
    }

    /// Wait until every entry and audit event queued before this call has been handled.
    pub async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        self.send(Item::Flush(done));
        let _ = flushed.await;
    }

    /// Wait until every audit event recorded through this journal before the call is in the audit trail:
    /// what an answer to a control request reports is then there to read.
    pub async fn settle(&self) {
        self.flush().await;
        self.audit.flush().await;
    }

    fn send(&self, item: Item) {
        if let Some(queue) = &self.queue {
            let _ = queue.send(item);
        }
    }

    /// The value of [`MARKER_VAR`] for `attempt_id`.
    pub fn marker(&self, attempt_id: u64) -> String {
        format!("{}{attempt_id}", self.marker_prefix)
    }

    /// The process of `session`'s attempt `attempt_id` if it outlived the previous daemon.
    pub fn live_attempt(&self, session: &SessionKey, attempt_id: u64) -> Option<ProcId> {
        self.live
            .get(session)
            .filter(|(id, _)| *id == attempt_id)
            .map(|(_, proc)| *proc)
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// What every marker of the daemon using `state_dir` starts with.
pub fn marker_prefix(state_dir: &Path) -> String {
    format!("{}#", state_dir.display())
}

/// The journal file in `state_dir`.
pub fn path_in(state_dir: &Path) -> PathBuf {
    state_dir.join("journal.jsonl")
}

/// Every journal entry in `path` that reads (a line torn by a kill mid-write is skipped). Blocking.
pub fn read(path: &Path) -> Vec<Entry> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the journal");
            return Vec::new();
        }
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| match serde_json::from_str(l) {
            Ok(entry) => Some(entry),
            Err(e) => {
                tracing::warn!(error = %e, "skipped an unreadable journal line");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

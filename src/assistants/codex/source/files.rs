//! Every followed rollout's state, kept synchronous so it can be tested without files or time: the
//! observations a batch of lines yields, and when to look whether the process writing an open turn still
//! lives.
//!
//! Codex keeps its rollout open for writing while it runs the session and writes `task_complete` (or
//! `turn_aborted`) when a turn ends. A turn that is open while nobody writes the file any more was cut
//! short by the process dying: a crash. Liveness is looked at when the writer closes the file (Linux
//! reports that), and on a deadline after the file has been quiet for [`QUIET`] (doubling while the
//! process lives, up to [`QUIET_MAX`]) for platforms and cases where no close is reported.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::tz::Tz;
use chrono::{DateTime, Duration, Utc};

use super::prime::Primed;
use super::rollout_thread_id;
use crate::assistants::codex::records::CodexRolloutState;
use crate::model::{Locator, Observation, Origin, SessionKey, Signal, StopReason};
use crate::sources::watch::FileLines;

/// How long an open turn's file may stay quiet before the process writing it is looked at.
pub const QUIET: Duration = Duration::seconds(60);
/// The longest wait between two looks while the process lives on (a long tool run).
pub const QUIET_MAX: Duration = Duration::minutes(15);
/// When the file is longer than what was read, the lines are on their way: look again this soon.
const PENDING: Duration = Duration::seconds(2);

/// What the evidence of a crash says, for the audit trail.
pub const CRASH_EVIDENCE: &str = "codex exited in the middle of a turn: the rollout has no task_complete and nobody writes it any more";

/// What to do about a file's liveness deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Leave the deadline as it is.
    Keep,
    /// No turn is open: no deadline.
    Disarm,
    At(DateTime<Utc>),
}

/// What a look at a file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Some process has the file open for writing; `None`: this platform cannot tell.
    pub written: Option<bool>,
    /// The file's length (`None`: gone).
    pub len: Option<u64>,
}

struct FileState {
    state: CodexRolloutState,
    /// The id in the file name (`rollout-<time>-<thread id>.jsonl`).
    file_id: Option<String>,
    last_line_at: Option<DateTime<Utc>>,
    /// The last instant the writer was known to be alive.
    alive_at: Option<DateTime<Utc>>,
    /// Looks that found the writer alive since the file last changed (for the doubling wait).
    alive_looks: u32,
    /// Offset up to which lines were applied.
    read_to: u64,
    /// A length seen beyond `read_to` at the previous look: unchanged at the next, it is a torn line.
    pending_len: Option<u64>,
    /// When lines last arrived (or the file was primed).
    touched_at: DateTime<Utc>,
}

/// The state of every followed rollout.
pub struct Rollouts {
    tz: Tz,
    files: HashMap<PathBuf, FileState>,
}

impl Rollouts {
    /// `tz` is the Codex processes' zone (their reset times are local).
    pub fn new(tz: Tz) -> Self {
        Rollouts {
            tz,
            files: HashMap::new(),
        }
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    pub fn knows(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    /// Take over what reading the file's ends taught; returns the first deadline (an open turn is looked at
    /// at once).
    pub fn insert_primed(&mut self, path: &Path, primed: Primed, now: DateTime<Utc>) -> Schedule {
        let open = primed.state.turn_open;
        self.files.insert(
            path.to_path_buf(),
            FileState {
                state: primed.state,
                file_id: rollout_thread_id(path),
                last_line_at: primed.last_at,
                alive_at: None,
                alive_looks: 0,
                read_to: primed.len,
                pending_len: None,
                touched_at: now,
            },
        );
        if open {
            Schedule::At(now)
        } else {
            Schedule::Disarm
        }
    }

    /// Apply a batch of new lines: their observations, and the file's next deadline.
    pub fn apply(&mut self, batch: &FileLines, now: DateTime<Utc>) -> (Vec<Observation>, Schedule) {
        let tz = self.tz;
        let file = self
            .files
            .entry(batch.path.clone())
            .or_insert_with(|| FileState {
                state: CodexRolloutState::new(tz),
                file_id: rollout_thread_id(&batch.path),
                last_line_at: None,
                alive_at: None,
                alive_looks: 0,
                read_to: 0,
                pending_len: None,
                touched_at: now,
            });
        if batch.from_start && !batch.lines.is_empty() && file.read_to > 0 {
            // Replaced or truncated: a different file now.
            file.state = CodexRolloutState::new(tz);
            file.last_line_at = None;
        }
        file.read_to = batch.offset_after;
        file.pending_len = None;
        file.touched_at = now;
        let mut out = Vec::new();
        use crate::sources::garbage::{count, torn_tail};
        count(
            "codex-rollouts",
            (batch.skipped_oversize + batch.invalid_utf8) as u64,
        );
        for line in &batch.lines {
            let fed = file.state.feed(line).or_else(|e| {
                count("codex-rollouts", 1);
                torn_tail(line).ok_or(e).and_then(|t| file.state.feed(t))
            });
            let Ok(rec) = fed else {
                tracing::debug!(path = %batch.path.display(), "unparseable rollout line skipped");
                continue;
            };
            file.last_line_at = rec.at.or(file.last_line_at);
            let Some(key) = key(file) else { continue };
            // A line's own signal, then how full the context is and how much quota is spent (its
            // `token_count` events).
            let usage = rec.usage_signals();
            for signal in rec.signal.into_iter().chain(usage) {
                out.push(Observation {
                    session: key.clone(),
                    at: rec.at.unwrap_or(now),
                    signal,
                    origin: Origin::Rollout,
                    locator: locator(file, &batch.path),
                });
            }
        }
        let schedule = if !file.state.turn_open {
            Schedule::Disarm
        } else if batch.writer_closed {
            // The writer was alive until it closed the file just now.
            file.alive_at = Some(now);
            Schedule::At(now)
        } else if !batch.lines.is_empty() {
            file.alive_looks = 0;
            Schedule::At(now + QUIET)
        } else {
            Schedule::Keep
        };
        (out, schedule)
    }

    /// The stop a start-up catch-up batch ([`FileLines::catch_up`]) ends with: its last signal, when that
    /// is a stop nobody has seen. The lines are read with a fresh state (the file's own, primed from its
    /// ends, already is past them); the file gives the thread and cwd.
    pub fn catch_up(&mut self, batch: &FileLines, now: DateTime<Utc>) -> Option<Observation> {
        let tz = self.tz;
        let mut fresh = CodexRolloutState::new(tz);
        let mut last = None;
        for line in &batch.lines {
            if let Ok(rec) = fresh.feed(line)
                && let Some(signal) = rec.signal
            {
                last = Some((signal, rec.at));
            }
        }
        let (signal, at) = last?;
        if !matches!(signal, Signal::Stopped { .. }) {
            return None;
        }
        let file = self.files.get(&batch.path)?;
        let mut locator = locator(file, &batch.path);
        locator.cwd = locator.cwd.or(fresh.cwd.clone());
        let session = key(file).or_else(|| {
            fresh
                .session_id
                .clone()
                .map(|id| SessionKey::new(crate::assistants::codex::ASSISTANT, id))
        })?;
        Some(Observation {
            session,
            at: at.unwrap_or(now),
            signal,
            origin: Origin::CatchUp,
            locator,
        })
    }

    /// Forgets the files whose last turn is closed and that got no lines since `before`: their state is
    /// read again from the file's ends ([`super::prime`]) if they are written again.
    pub fn forget_quiet(&mut self, before: DateTime<Utc>) {
        self.files
            .retain(|_, f| f.state.turn_open || f.touched_at >= before);
    }

    /// Files whose state is kept.
    #[cfg(test)]
    pub fn kept(&self) -> usize {
        self.files.len()
    }

    /// Whether the file's last turn is open (a look at its writer is due at its deadline).
    pub fn turn_open(&self, path: &Path) -> bool {
        self.files.get(path).is_some_and(|f| f.state.turn_open)
    }

    /// What a look at an open turn's file found: the crash observation when the writer is gone and every
    /// line was read, and the next deadline.
    pub fn looked(
        &mut self,
        path: &Path,
        probe: Probe,
        now: DateTime<Utc>,
    ) -> (Option<Observation>, Schedule) {
        let Some(file) = self.files.get_mut(path) else {
            return (None, Schedule::Disarm);
        };
        if !file.state.turn_open {
            return (None, Schedule::Disarm);
        }
        match probe.written {
            None => {
                tracing::debug!(path = %path.display(), "cannot tell on this platform whether codex still writes this rollout");
                return (None, Schedule::Disarm);
            }
            Some(true) => {
                file.alive_at = Some(now);
                file.alive_looks += 1;
                let wait = QUIET * 2i32.pow(file.alive_looks.min(5));
                return (None, Schedule::At(now + wait.min(QUIET_MAX)));
            }
            Some(false) => {}
        }
        if let Some(len) = probe.len
            && len > file.read_to
            && file.pending_len != Some(len)
        {
            // Lines written before the end are still on their way; a tail that stays put is torn.
            file.pending_len = Some(len);
            return (None, Schedule::At(now + PENDING));
        }
        // The crash ends the turn: it is reported once.
        file.state.turn_open = false;
        let Some(session) = key(file) else {
            return (None, Schedule::Disarm);
        };
        let at = file.alive_at.max(file.last_line_at).unwrap_or(now);
        let obs = Observation {
            session,
            at,
            signal: Signal::Stopped {
                reason: StopReason::Transient { status: None },
                evidence: CRASH_EVIDENCE.to_string(),
            },
            origin: Origin::Rollout,
            locator: locator(file, path),
        };
        (Some(obs), Schedule::Disarm)
    }
}

fn key(file: &FileState) -> Option<SessionKey> {
    file.file_id
        .clone()
        .or_else(|| file.state.session_id.clone())
        .map(|id| SessionKey::new(crate::assistants::codex::ASSISTANT, id))
}

fn locator(file: &FileState, path: &Path) -> Locator {
    Locator {
        cwd: file.state.cwd.clone(),
        transcript: Some(path.to_path_buf()),
        ..Default::default()
    }
}

//! Parking: sessions quiet for `[daemon] park_after_secs` leave memory for a file each on disk
//! ([`super::parked`]) and come back, as they were, when they are concerned again: an observation or a hook
//! for them, a control request that names them, a `sessions` or `inspect` listing (which reads them from
//! disk without bringing them back). Only sessions with nothing planned are parked (running or done, no
//! deadline, no attempt); the ones that need a human stay in memory, where `skip` without an id finds them.
//!
//! A parked file is removed only once the state file holds its session again, so a crash in between loses
//! nothing; at start a file whose session the state file holds is stale and removed.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use tracing::debug;

use super::session::{Phase, TrackedSession};
use super::{Engine, EngineMsg, parked};
use crate::audit::{AuditEvent, EventType};
use crate::model::{SessionKey, SourceEvent};
use crate::protocol::{Request, Response, SessionInfo};

/// Sessions written to disk per sweep (each file is fsynced); the next sweep follows at once.
const PARK_BATCH: usize = 64;
/// Parked files are checked against `[daemon] forget_after_days` at most this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// A named target brings back at most this many parked sessions (enough to say the name is ambiguous).
const UNPARK_BY_NAME: usize = 8;

/// Runs blocking disk work on the blocking pool; `fallback` if that pool is gone (shutting down).
async fn blocking<T: Send + 'static>(fallback: T, work: impl FnOnce() -> T + Send + 'static) -> T {
    crate::tasks::spawn_blocking(work).await.unwrap_or(fallback)
}

/// What the engine keeps about parked sessions: no session, only counts and bookkeeping.
#[derive(Default)]
pub(super) struct ParkState {
    /// Sessions on disk and not in memory.
    count: usize,
    /// Sessions back in memory whose parked files go once the state file holds them again.
    back: BTreeSet<SessionKey>,
    /// When the next sweep is due.
    pub(super) due: Option<tokio::time::Instant>,
    /// When parked files were last checked against `forget_after_days`.
    pruned: Option<tokio::time::Instant>,
}

impl Engine {
    fn parked_dir(&self) -> PathBuf {
        parked::dir(&self.paths.state_dir)
    }

    /// How long a session must be quiet to be parked (None: never).
    fn park_after(&self) -> Option<chrono::Duration> {
        match self.config.daemon.park_after_secs {
            0 => None,
            secs => chrono::Duration::try_seconds(i64::try_from(secs).ok()?),
        }
    }

    /// Sessions the engine knows, in memory or parked.
    pub(super) fn sessions_known(&self) -> usize {
        self.sessions.len() + self.park.count
    }

    fn parkable(&self, sess: &TrackedSession) -> bool {
        matches!(sess.phase, Phase::Running | Phase::Done { .. }) && !self.has_pending(&sess.key)
    }

    /// At start: count the parked sessions; remove the files of those the state file holds (a crash came
    /// between bringing one back and removing its file); plan the first sweep.
    pub(super) async fn load_parked(&mut self) {
        let dir = self.parked_dir();
        let keys = blocking(BTreeSet::new(), move || parked::keys(&dir)).await;
        let stale: Vec<SessionKey> = keys
            .iter()
            .filter(|k| self.sessions.contains_key(*k))
            .cloned()
            .collect();
        self.park.count = keys.len() - stale.len();
        if !stale.is_empty() {
            let dir = self.parked_dir();
            blocking((), move || parked::remove(&dir, &stale)).await;
        }
        self.plan_parking();
    }

    /// When the quietest parkable session becomes due (computed after each save: activity only delays it).
    pub(super) fn plan_parking(&mut self) {
        let Some(after) = self.park_after() else {
            self.park.due = None;
            return;
        };
        let quietest = self
            .sessions
            .values()
            .filter(|s| self.parkable(s))
            .map(|s| s.updated_at)
            .min();
        self.park.due = quietest.map(|at| {
            let wait = (at + after - self.now()).to_std().unwrap_or(Duration::ZERO);
            tokio::time::Instant::now() + wait
        });
    }

    /// Park the sessions quiet for long enough (a batch at a time), and forget parked ones quiet for
    /// `forget_after_days`.
    pub(super) async fn park_quiet(&mut self) {
        self.prune_parked().await;
        let Some(after) = self.park_after() else {
            self.park.due = None;
            return;
        };
        let horizon = self.now() - after;
        let quiet: Vec<TrackedSession> = self
            .sessions
            .values()
            .filter(|s| s.updated_at <= horizon && self.parkable(s))
            .take(PARK_BATCH)
            .map(|s| (**s).clone())
            .collect();
        if !quiet.is_empty() {
            let dir = self.parked_dir();
            let written = blocking(Vec::new(), move || parked::put(&dir, &quiet)).await;
            for key in &written {
                self.sessions.remove(key);
                self.park.back.remove(key);
            }
            self.park.count += written.len();
            self.dirty |= !written.is_empty();
            debug!(
                parked = written.len(),
                total = self.park.count,
                "quiet sessions parked on disk"
            );
        }
        self.plan_parking();
    }

    /// Parked files older than `forget_after_days` are forgotten (by the file's time: a session is parked
    /// after it went quiet, so it is forgotten at most `park_after_secs` later than it would be in memory).
    async fn prune_parked(&mut self) {
        let days = self.config.daemon.forget_after_days;
        let now = tokio::time::Instant::now();
        if days == 0
            || self.park.count == 0
            || self.park.pruned.is_some_and(|t| now < t + PRUNE_EVERY)
        {
            return;
        }
        self.park.pruned = Some(now);
        let (dir, skip) = (self.parked_dir(), self.park.back.clone());
        let max_age = Duration::from_secs(u64::from(days) * 86_400);
        let gone = blocking(Vec::new(), move || {
            parked::remove_older(&dir, max_age, &skip)
        })
        .await;
        self.park.count = self.park.count.saturating_sub(gone.len());
        for key in gone {
            self.record(
                AuditEvent::new(EventType::SessionForgotten)
                    .session_key(&key)
                    .reason(format!("quiet for {days} days"))
                    .outcome("pruned"),
            );
        }
    }

    /// Bring `key` back into memory if it is parked.
    pub(super) async fn unpark(&mut self, key: &SessionKey) {
        if self.park.count == 0 || self.sessions.contains_key(key) || self.park.back.contains(key) {
            return;
        }
        let (dir, wanted) = (self.parked_dir(), key.clone());
        let Some(sess) = blocking(None, move || parked::get(&dir, &wanted)).await else {
            return;
        };
        debug!(session = %key, "parked session back in memory");
        self.sessions.insert(key.clone(), Box::new(sess));
        self.park.back.insert(key.clone());
        self.park.count -= 1;
        self.dirty = true;
    }

    /// Bring back the parked sessions a control request names by id (see [`super::control::names`]).
    async fn unpark_named(&mut self, wanted: &str) {
        if self.park.count == 0 {
            return;
        }
        let dir = self.parked_dir();
        let keys = blocking(BTreeSet::new(), move || parked::keys(&dir)).await;
        let named = keys
            .into_iter()
            .filter(|k| super::control::names(k, wanted));
        for key in named.take(UNPARK_BY_NAME) {
            self.unpark(&key).await;
        }
    }

    /// What a source reports about a parked session brings it back first.
    pub(super) async fn unpark_for_source(&mut self, event: &SourceEvent) {
        if let SourceEvent::Observe(obs) = event {
            self.unpark(&obs.session).await;
        }
    }

    /// A message that concerns parked sessions brings them back before it is handled.
    pub(super) async fn unpark_for(&mut self, msg: &EngineMsg) {
        let EngineMsg::Control { req, .. } = msg else {
            return;
        };
        if self.park.count == 0 {
            return;
        }
        let named = match req {
            Request::Skip(t)
            | Request::NewSession(t)
            | Request::ResumeSession(t)
            | Request::Abort(t) => t.session.clone(),
            Request::Forget(f) => Some(f.session.clone()),
            Request::AgentSession(ctx) => ctx.session.clone(),
            Request::Checkpoint(c) => c.context.session.clone(),
            Request::Hook(fwd) => {
                if let Some(key) = self.hook_key(fwd) {
                    self.unpark(&key).await;
                }
                None
            }
            _ => None,
        };
        if let Some(wanted) = named.filter(|w| !w.is_empty()) {
            self.unpark_named(&wanted).await;
        }
    }

    /// The session a hook is about, as [`Engine::on_hook`] will read it.
    fn hook_key(&self, fwd: &crate::protocol::HookForward) -> Option<SessionKey> {
        let ctx = crate::classify::ClassifyContext::new(self.now(), crate::classify::env_tz());
        let parsed = crate::assistants::get(fwd.assistant)?.parse_hook(&fwd.payload, &ctx)?;
        Some(SessionKey::new(fwd.assistant, parsed.session_id?))
    }

    /// A `sessions` or `preview` answer with the parked sessions added, read from disk (they stay there).
    pub(super) async fn with_parked(&self, mut resp: Response) -> Response {
        let list = match &mut resp {
            Response::Sessions(list) | Response::Preview(list) if self.park.count > 0 => list,
            _ => return resp,
        };
        let (dir, skip) = (self.parked_dir(), self.park.back.clone());
        let parked = blocking(Vec::new(), move || parked::all(&dir, &skip)).await;
        let now = self.now();
        list.sessions.extend(parked.iter().map(|s| SessionInfo {
            parked: true,
            ..s.info(now)
        }));
        match &mut resp {
            Response::Sessions(list) => list
                .sessions
                .sort_by_key(|s| std::cmp::Reverse(s.updated_at)),
            Response::Preview(list) => list
                .sessions
                .sort_by_key(|s| s.next_action.as_ref().map(|a| a.at)),
            _ => {}
        }
        resp
    }

    /// After the state file was saved: the files of sessions brought back can go.
    pub(super) async fn remove_unparked_files(&mut self) {
        if self.park.back.is_empty() {
            return;
        }
        let keys: Vec<SessionKey> = std::mem::take(&mut self.park.back).into_iter().collect();
        let dir = self.parked_dir();
        blocking((), move || parked::remove(&dir, &keys)).await;
    }
}

//! The engine: one task that owns every tracked session, applies observations, keeps deadlines and starts
//! resumes. Everything else talks to it through [`EngineMsg`]s; nothing else mutates session state.

mod act;
mod control;
mod handle;
mod observe;
mod outcome;
mod persist;
mod route;
mod self_continue;
pub mod session;
mod stagger;
mod wrappers;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info};

pub use crate::model::TurnOutcome;
pub use act::AttemptEvent;
pub use handle::{EngineHandle, Reloader};
pub use persist::{EngineSnapshot, load as load_snapshot};

use crate::audit::{AuditEvent, AuditWriter, EventType};
use crate::config::Config;
use crate::decide::{self, Action, Plan};
use crate::model::{SessionKey, SourceEvent, StopReason};
use crate::paths::Paths;
use crate::protocol::{Request, Response, WatchInfo};
use crate::resume::Resumers;
use crate::timers::Timers;
use session::{Phase, TrackedSession};

/// Messages into the engine (besides what sources send, see [`EngineHandle::source_sender`]).
#[derive(Debug)]
pub enum EngineMsg {
    Control {
        req: Request,
        reply: oneshot::Sender<Response>,
    },
    Attempt {
        session: SessionKey,
        attempt_id: u64,
        event: AttemptEvent,
    },
    /// The environment of a session's live agent process, learned without a hook.
    AgentEnv {
        session: SessionKey,
        env: crate::model::AgentEnv,
    },
    /// What probing a session's agent found (how a resume can reach it).
    Reached {
        session: SessionKey,
        reach: crate::interactive::Reach,
    },
    /// A reload: the new configuration and the resumers built from it (see [`EngineHandle::reconfigure`]).
    Reconfigure {
        new: Box<Reconfiguration>,
        reply: oneshot::Sender<()>,
    },
}

/// What a reload hands the engine.
pub struct Reconfiguration {
    pub config: Config,
    pub resumers: Resumers,
}

impl std::fmt::Debug for Reconfiguration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reconfiguration { .. }")
    }
}

/// Everything the engine needs, injected.
pub struct EngineDeps {
    pub config: Config,
    pub paths: Paths,
    pub audit: AuditWriter,
    pub resumers: Resumers,
    pub watching: Vec<WatchInfo>,
    /// Cancelled by a `shutdown` request.
    pub shutdown: CancellationToken,
}

pub struct Engine {
    config: Arc<Config>,
    paths: Paths,
    audit: AuditWriter,
    resumers: Resumers,
    watching: Vec<WatchInfo>,
    shutdown: CancellationToken,
    tx: mpsc::Sender<EngineMsg>,
    /// What sources send; drained by [`Engine::run`] beside the control messages.
    sources: mpsc::Receiver<SourceEvent>,
    paused: bool,
    sessions: BTreeMap<SessionKey, TrackedSession>,
    offsets: BTreeMap<PathBuf, u64>,
    timers: Timers,
    next_attempt_id: u64,
    /// Cancels an in-flight attempt (abort, shutdown).
    attempts: BTreeMap<SessionKey, CancellationToken>,
    /// Parent of every attempt's token: an attempt verified by observations while its process still runs
    /// leaves `attempts`, and must still be stopped at shutdown.
    attempts_root: CancellationToken,
    attempt_tasks: TaskTracker,
    started_at: DateTime<Utc>,
    dirty: bool,
    /// When the pending save is due (state is saved at most every 200 ms, and never lost at shutdown).
    save_due: Option<tokio::time::Instant>,
    /// Registered `palingenesis run` wrappers, by id (not persisted: a restarted daemon finds their sockets).
    wrappers: BTreeMap<String, crate::protocol::WrapperRegistration>,
    /// The plan last shown in each wrapper's title.
    wrapper_plans: BTreeMap<String, crate::wrapper::protocol::PlanNotice>,
}

/// Create the engine and its handle. `snapshot` is the persisted state (None on first start).
pub fn engine(
    deps: EngineDeps,
    snapshot: Option<EngineSnapshot>,
) -> (Engine, EngineHandle, mpsc::Receiver<EngineMsg>) {
    let (tx, rx) = mpsc::channel(1024);
    let (sources_tx, sources) = mpsc::channel(1024);
    let snapshot = snapshot.unwrap_or_default();
    let mut engine = Engine {
        config: Arc::new(deps.config),
        paths: deps.paths,
        audit: deps.audit,
        resumers: deps.resumers,
        watching: deps.watching,
        shutdown: deps.shutdown,
        tx: tx.clone(),
        sources,
        paused: snapshot.paused,
        sessions: snapshot
            .sessions
            .into_iter()
            .map(|s| (s.key.clone(), s))
            .collect(),
        offsets: snapshot.offsets,
        timers: Timers::default(),
        next_attempt_id: snapshot.next_attempt_id,
        attempts: BTreeMap::new(),
        attempts_root: CancellationToken::new(),
        attempt_tasks: TaskTracker::new(),
        started_at: Utc::now(),
        dirty: false,
        save_due: None,
        wrappers: BTreeMap::new(),
        wrapper_plans: BTreeMap::new(),
    };
    engine.recover_after_restart();
    (engine, EngineHandle::new(tx, sources_tx), rx)
}

impl Engine {
    /// Persisted offsets, for the sources to resume from.
    pub fn offsets(&self) -> &BTreeMap<PathBuf, u64> {
        &self.offsets
    }

    /// Run until `stop` is cancelled or every handle is dropped; then cancel attempts and save.
    pub async fn run(mut self, mut rx: mpsc::Receiver<EngineMsg>, stop: CancellationToken) {
        loop {
            if self.dirty && self.save_due.is_none() {
                self.save_due =
                    Some(tokio::time::Instant::now() + std::time::Duration::from_millis(200));
            }
            let save_due = self.save_due;
            tokio::select! {
                _ = stop.cancelled() => break,
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg),
                    None => break,
                },
                Some(event) = self.sources.recv() => self.on_source(event),
                Some(key) = self.timers.next_expired() => self.on_deadline(key),
                _ = async { tokio::time::sleep_until(save_due.expect("guarded")).await }, if save_due.is_some() => {
                    self.save().await;
                }
            }
        }
        self.attempts_root.cancel();
        self.attempt_tasks.close();
        self.attempt_tasks.wait().await;
        self.save().await;
        info!("engine stopped");
    }

    fn on_source(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Observe(obs) => self.on_observation(obs),
            SourceEvent::Offsets(offsets) => {
                for (path, off) in offsets {
                    self.offsets.insert(path, off);
                }
                self.dirty = true;
            }
        }
        self.sync_wrapper_plans();
    }

    fn handle(&mut self, msg: EngineMsg) {
        match msg {
            EngineMsg::Control { req, reply } => {
                // A request sees everything the sources reported before it was sent.
                while let Ok(event) = self.sources.try_recv() {
                    self.on_source(event);
                }
                let resp = self.on_request(req);
                let _ = reply.send(resp);
            }
            EngineMsg::Attempt {
                session,
                attempt_id,
                event,
            } => self.on_attempt_event(session, attempt_id, event),
            EngineMsg::Reached { session, reach } => self.on_reached(session, reach),
            EngineMsg::Reconfigure { new, reply } => {
                let Reconfiguration { config, resumers } = *new;
                self.config = Arc::new(config);
                self.resumers = resumers;
                let _ = reply.send(());
            }
            EngineMsg::AgentEnv { session, env } => {
                if let Some(sess) = self.sessions.get_mut(&session)
                    && sess.agent_env.is_empty()
                {
                    sess.agent_env = env;
                    self.dirty = true;
                }
            }
        }
        self.sync_wrapper_plans();
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn record(&self, event: AuditEvent) {
        self.audit.record(event);
    }

    fn event_for(&self, kind: EventType, key: &SessionKey) -> AuditEvent {
        AuditEvent::new(kind)
            .session(key.id.clone())
            .assistant(key.assistant)
    }

    /// Decide what to do about `key`'s current stop and put the plan in place.
    fn redecide(&mut self, key: &SessionKey, reason: &StopReason) {
        let now = self.now();
        let Some(sess) = self.sessions.get(key) else {
            return;
        };
        let jitter = rand::random_range(-1.0..=1.0);
        let plan = decide::decide(
            reason,
            key.assistant,
            sess.history(now),
            &self.config,
            now,
            jitter,
        );
        self.apply_plan(key, plan, reason);
    }

    fn apply_plan(&mut self, key: &SessionKey, plan: Plan, reason: &StopReason) {
        let Some(sess) = self.sessions.get_mut(key) else {
            return;
        };
        sess.updated_at = Utc::now();
        let mut probe = false;
        let (event, phase) = match plan {
            Plan::Resume { action, at, why } => {
                self.timers.arm(key.clone(), at);
                probe = true;
                let ev = AuditEvent::new(EventType::ResumeScheduled)
                    .action(action.as_str())
                    .message(why.clone())
                    .metadata(serde_json::json!({ "at": at, "attempt": sess.attempts + 1 }));
                (
                    ev,
                    Phase::Waiting {
                        until: at,
                        action,
                        why,
                    },
                )
            }
            Plan::Notify { why } => {
                self.timers.disarm(key);
                (
                    AuditEvent::new(EventType::NeedsAttention).message(why.clone()),
                    Phase::Stopped { why },
                )
            }
            Plan::Finish { why } => {
                self.timers.disarm(key);
                (
                    AuditEvent::new(EventType::SessionDone).message(why.clone()),
                    Phase::Done { why },
                )
            }
            Plan::GiveUp { why } => {
                self.timers.disarm(key);
                (
                    AuditEvent::new(EventType::SessionFailed).message(why.clone()),
                    Phase::Failed { why },
                )
            }
        };
        info!(session = %key, phase = ?phase, "plan");
        sess.phase = phase;
        self.dirty = true;
        self.record(
            event
                .session(key.id.clone())
                .assistant(key.assistant)
                .reason(reason.label()),
        );
        if probe {
            self.probe_reach(key);
        }
        if matches!(reason, StopReason::UsageLimit { .. }) {
            self.stagger_waiting(key.assistant);
        }
    }

    /// Start a resume of `key` now.
    fn start_attempt(&mut self, key: &SessionKey, action: Action) {
        let now = self.now();
        let attempt_id = self.next_attempt_id;
        self.next_attempt_id += 1;
        let verify_by = crate::clock::after(
            now,
            crate::clock::secs(self.config.resume.verify_timeout_secs),
        );
        let Some(sess) = self.sessions.get_mut(key) else {
            return;
        };
        sess.record_resume_start(now);
        sess.phase = Phase::Resuming {
            action,
            attempt_id,
            started_at: now,
            verify_by,
        };
        sess.updated_at = now;
        let attempt = sess.attempts;
        let locator = sess.locator.clone();
        let env = sess.agent_env.clone();
        let resets_at = match sess.last_stop.as_ref().map(|s| &s.reason) {
            Some(StopReason::UsageLimit { resets_at, .. }) => *resets_at,
            _ => None,
        };
        let reason = sess
            .last_stop
            .as_ref()
            .map(|s| s.reason.label())
            .unwrap_or("manual");
        self.timers.arm(key.clone(), verify_by);
        self.dirty = true;
        self.record(
            self.event_for(EventType::ResumeStarted, key)
                .action(action.as_str())
                .reason(reason)
                .metadata(serde_json::json!({ "attempt": attempt, "attempt_id": attempt_id, "reach": self.sessions[key].reach() })),
        );
        let cancel = self.attempts_root.child_token();
        if let Some(old) = self.attempts.insert(key.clone(), cancel.clone()) {
            old.cancel();
        }
        let job = act::AttemptJob {
            session: key.clone(),
            attempt_id,
            action,
            locator,
            env,
            config: self.config.clone(),
            paths: self.paths.clone(),
            resumers: self.resumers.clone(),
            tx: self.tx.clone(),
            cancel,
            wrappers: self.wrappers.values().cloned().collect(),
            resets_at,
            stop: self.sessions[key]
                .last_stop
                .as_ref()
                .map(|s| s.reason.clone()),
        };
        debug!(session = %key, attempt_id, "starting resume attempt");
        self.attempt_tasks.spawn(act::run_attempt(job));
    }

    fn on_deadline(&mut self, key: SessionKey) {
        let now = self.now();
        let Some(sess) = self.sessions.get(&key) else {
            return;
        };
        match sess.phase.clone() {
            Phase::Waiting { until, action, .. } => {
                if self.paused {
                    debug!(session = %key, "deadline reached while paused; holding");
                } else if until > now + chrono::Duration::milliseconds(500) {
                    self.timers.arm(key, until);
                } else {
                    self.start_attempt(&key, action);
                }
            }
            Phase::Resuming { verify_by, .. }
                if verify_by <= now + chrono::Duration::milliseconds(100) =>
            {
                self.attempt_failed(&key, "no new assistant output after the resume");
            }
            Phase::Resuming { verify_by, .. } => self.timers.arm(key, verify_by),
            Phase::SelfContinuing { step_in_at, .. } => {
                if self.paused {
                    debug!(session = %key, "the assistant's continuation is overdue while paused; holding");
                } else if step_in_at > now + chrono::Duration::milliseconds(500) {
                    self.timers.arm(key, step_in_at);
                } else {
                    self.on_self_continue_overdue(&key);
                }
            }
            _ => {}
        }
    }

    /// The in-flight attempt of `key` did not work: record and decide again.
    fn attempt_failed(&mut self, key: &SessionKey, why: &str) {
        if let Some(token) = self.attempts.remove(key) {
            token.cancel();
        }
        self.record(
            self.event_for(EventType::ResumeFailed, key)
                .outcome("failed")
                .message(why.to_string()),
        );
        let reason = self
            .sessions
            .get(key)
            .and_then(|s| s.last_stop.as_ref().map(|r| r.reason.clone()));
        match reason {
            Some(reason) => self.redecide(key, &reason),
            None => {
                let sess = self.sessions.get_mut(key).expect("session exists");
                sess.phase = Phase::Stopped {
                    why: why.to_string(),
                };
                self.timers.disarm(key);
                self.dirty = true;
            }
        }
    }

    /// Sessions with nothing pending that have been quiet for a week are forgotten (they come back if they
    /// write again), and so are the read offsets of their transcripts (a transcript without one is
    /// followed from its end), so state stays small on machines with years of history.
    fn forget_quiet_sessions(&mut self) {
        let horizon = Utc::now() - chrono::Duration::days(7);
        let offsets = &mut self.offsets;
        self.sessions.retain(|_, s| {
            let keep =
                s.updated_at > horizon || !matches!(s.phase, Phase::Running | Phase::Done { .. });
            if !keep && let Some(transcript) = &s.locator.transcript {
                offsets.remove(transcript);
            }
            keep
        });
    }

    /// After a restart: re-arm waits, and treat attempts that were in flight as failed (their process is gone).
    fn recover_after_restart(&mut self) {
        let keys: Vec<SessionKey> = self.sessions.keys().cloned().collect();
        for key in keys {
            match self.sessions[&key].phase.clone() {
                Phase::Waiting { until, .. } => self.timers.arm(key, until),
                Phase::Resuming { .. } => {
                    // The daemon died mid-attempt; verify soon from observations or retry.
                    let soon = Utc::now() + chrono::Duration::seconds(5);
                    if let Some(s) = self.sessions.get_mut(&key)
                        && let Phase::Resuming { verify_by, .. } = &mut s.phase
                    {
                        *verify_by = (*verify_by).min(soon);
                    }
                    self.timers.arm(key, soon);
                }
                _ => {}
            }
        }
    }

    async fn save(&mut self) {
        self.dirty = false;
        self.save_due = None;
        self.forget_quiet_sessions();
        let snapshot = EngineSnapshot {
            paused: self.paused,
            sessions: self.sessions.values().cloned().collect(),
            offsets: self.offsets.clone(),
            next_attempt_id: self.next_attempt_id,
        };
        if let Err(e) = persist::save(self.paths.state_file(), snapshot).await {
            tracing::error!(error = %e, "saving state failed");
            self.dirty = true;
        }
    }
}

#[cfg(test)]
mod tests;

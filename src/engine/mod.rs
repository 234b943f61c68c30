//! The engine: one task that owns every tracked session, applies observations, keeps deadlines and starts
//! resumes. Everything else talks to it through [`EngineMsg`]s; nothing else mutates session state.
//!
//! What happens to a session is decided by [`step::step`], a pure function; this shell turns messages into
//! its inputs and is the only code that carries out its [`step::Effect`]s: arming and clearing deadlines,
//! writing audit events, spawning and cancelling attempts, and saving state when a step changed it. Time
//! comes from the injected [`crate::clock::WallClock`].

mod act;
mod agent;
mod checkpoint;
mod checkpoint_terminal;
mod control;
mod fallback;
mod forget;
mod handle;
mod observe;
mod outcome;
mod park;
mod parked;
mod persist;
mod route;
pub mod session;
mod stagger;
pub mod step;
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

use crate::audit::{AuditEvent, AuditWriter};
use crate::clock::WallClock;
use crate::config::Config;
use crate::decide::Action;
use crate::model::{SessionKey, SourceEvent, StopReason};
use crate::paths::Paths;
use crate::protocol::{Request, Response, WatchInfo};
use crate::resume::Resumers;
use crate::timers::Timers;
use session::{Phase, TrackedSession};
use step::Effect;

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
    /// Where the engine reads the time ([`crate::clock::system`] outside tests).
    pub clock: WallClock,
    /// Where stops and attempts are made durable before they are acknowledged (see [`crate::journal`]).
    pub journal: crate::journal::Journal,
}

pub struct Engine {
    config: Arc<Config>,
    paths: Paths,
    /// Written through [`Engine::journal`]; the tests flush it.
    #[cfg_attr(not(test), allow(dead_code))]
    audit: AuditWriter,
    journal: crate::journal::Journal,
    resumers: Resumers,
    watching: Vec<WatchInfo>,
    shutdown: CancellationToken,
    clock: WallClock,
    tx: mpsc::Sender<EngineMsg>,
    /// What sources send; drained by [`Engine::run`] beside the control messages.
    sources: mpsc::Receiver<SourceEvent>,
    paused: bool,
    /// Boxed: a session is several hundred bytes, and B-tree nodes hold eleven values whether or not they are
    /// full, so inline values would leave a third of the map's memory empty.
    sessions: BTreeMap<SessionKey, Box<TrackedSession>>,
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
    /// Quiet sessions parked on disk (see [`park`]).
    park: park::ParkState,
    /// When to hand back the memory the last burst left behind ([`crate::memory`]).
    settle: crate::memory::SettleSchedule,
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
        journal: deps.journal,
        resumers: deps.resumers,
        watching: deps.watching,
        shutdown: deps.shutdown,
        clock: deps.clock.clone(),
        tx: tx.clone(),
        sources,
        paused: snapshot.paused,
        sessions: snapshot
            .sessions
            .into_iter()
            .map(|s| (s.key.clone(), Box::new(s)))
            .collect(),
        offsets: snapshot.offsets,
        timers: Timers::with_wall_clock(deps.clock.clone()),
        next_attempt_id: snapshot.next_attempt_id,
        attempts: BTreeMap::new(),
        attempts_root: CancellationToken::new(),
        attempt_tasks: TaskTracker::new(),
        started_at: (deps.clock)(),
        dirty: false,
        save_due: None,
        wrappers: BTreeMap::new(),
        wrapper_plans: BTreeMap::new(),
        park: park::ParkState::default(),
        settle: crate::memory::SettleSchedule::default(),
    };
    engine.restore_successors();
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
        self.load_parked().await;
        // Start-up's code (reading the config, recovering, catching up) is not run again soon.
        self.settle.work_done(tokio::time::Instant::now());
        loop {
            if self.dirty && self.save_due.is_none() {
                self.save_due =
                    Some(tokio::time::Instant::now() + std::time::Duration::from_millis(200));
            }
            let (save_due, park_due, settle_due) =
                (self.save_due, self.park.due, self.settle.due());
            tokio::select! {
                _ = stop.cancelled() => break,
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg).await,
                    None => break,
                },
                Some(event) = self.sources.recv() => {
                    self.unpark_for_source(&event).await;
                    self.on_source(event);
                }
                _ = async { tokio::time::sleep_until(park_due.expect("guarded")).await }, if park_due.is_some() => {
                    self.park_quiet().await;
                }
                Some(key) = self.timers.next_expired() => self.on_deadline(key),
                _ = async { tokio::time::sleep_until(save_due.expect("guarded")).await }, if save_due.is_some() => {
                    self.save().await;
                }
                _ = async { tokio::time::sleep_until(settle_due.expect("guarded")).await }, if settle_due.is_some() => {
                    self.settle.settled();
                    let _ = crate::tasks::spawn_blocking(crate::memory::settle).await;
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

    async fn handle(&mut self, msg: EngineMsg) {
        if let EngineMsg::Control { .. } = msg {
            // A request sees everything the sources reported before it was sent.
            while let Ok(event) = self.sources.try_recv() {
                self.unpark_for_source(&event).await;
                self.on_source(event);
            }
        }
        self.unpark_for(&msg).await;
        match msg {
            EngineMsg::Control { req, reply } => match req {
                Request::Checkpoint(c) => self.on_checkpoint(c, reply),
                Request::Hook(fwd) => self.on_hook(fwd, reply),
                req => {
                    let answer = self.on_request(req);
                    let _ = reply.send(self.with_parked(answer).await);
                }
            },
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
                self.plan_parking();
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

    /// The wall-clock time, from the injected clock.
    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Record an engine-wide event (not one session's: those are [`Effect::Record`]s), stamped now.
    fn record(&self, event: AuditEvent) {
        // Through the journal: no event leaves before the stops and attempts journaled ahead of it are durable.
        self.journal.audit(event.at(self.now()));
    }

    /// Run one step of `key`'s state machine and carry out its effects. Returns the effects (a control
    /// request reads its answer from them).
    fn apply(&mut self, key: &SessionKey, input: step::Input) -> Vec<Effect> {
        let now = self.now();
        let Some(sess) = self.sessions.get(key) else {
            return Vec::new();
        };
        let policy = step::Policy {
            config: &self.config,
            paused: self.paused,
            jitter: rand::random_range(-1.0..=1.0),
            next_attempt_id: self.next_attempt_id,
            available: self.fallback_availability(&input, now),
        };
        let (next, effects) = step::step(sess, input, now, &policy);
        if next != **sess {
            self.dirty = true;
            if let Some(slot) = self.sessions.get_mut(key) {
                **slot = next;
            }
        }
        for effect in &effects {
            self.execute(key, effect);
        }
        effects
    }

    /// The only place where a session's effects happen.
    fn execute(&mut self, key: &SessionKey, effect: &Effect) {
        match effect {
            Effect::Arm(at) => self.timers.arm(key.clone(), *at),
            Effect::Disarm => self.timers.disarm(key),
            Effect::Record(event) => self.journal.audit(event.clone()),
            Effect::Spawn { action, attempt_id } => self.spawn_attempt(key, *action, *attempt_id),
            Effect::CancelAttempt => {
                if let Some(token) = self.attempts.remove(key) {
                    token.cancel();
                }
            }
            Effect::ForgetAttempt => {
                self.attempts.remove(key);
            }
            Effect::Probe => self.probe_reach(key),
            Effect::Stagger => self.stagger_waiting(key.assistant),
            Effect::Refuse(_) => {}
        }
    }

    /// Start attempt `attempt_id` of `key` (its state already says `Resuming`).
    fn spawn_attempt(&mut self, key: &SessionKey, action: Action, attempt_id: u64) {
        self.next_attempt_id = self.next_attempt_id.max(attempt_id + 1);
        let Some(sess) = self.sessions.get(key) else {
            return;
        };
        let (started_at, verify_by) = match sess.phase {
            Phase::Resuming {
                started_at,
                verify_by,
                ..
            } => (started_at, verify_by),
            _ => (self.now(), self.now()),
        };
        // Another assistant's new session runs with the daemon's environment and its own section, not with
        // the stopped agent's.
        let mut env = match action {
            Action::HandOff { .. } => crate::model::AgentEnv::default(),
            _ => sess.agent_env.clone(),
        };
        // journal hook: the intent is durable before the process is spawned, and the process is marked.
        env.0.insert(
            crate::journal::MARKER_VAR.into(),
            self.journal.marker(attempt_id),
        );
        let durable = self.journal.attempt(crate::journal::AttemptIntent {
            session: key.clone(),
            locator: sess.locator.clone(),
            last_stop: sess.last_stop.as_ref().map(|s| crate::journal::StopNote {
                reason: s.reason.clone(),
                at: s.at,
                evidence: s.evidence.clone(),
            }),
            action,
            attempt_id,
            started_at,
            verify_by,
        });
        let resets_at = match sess.last_stop.as_ref().map(|s| &s.reason) {
            Some(StopReason::UsageLimit { resets_at, .. }) => *resets_at,
            _ => None,
        };
        let cancel = self.attempts_root.child_token();
        let job = act::AttemptJob {
            session: key.clone(),
            attempt_id,
            action,
            locator: sess.locator.clone(),
            env,
            config: self.config.clone(),
            paths: self.paths.clone(),
            resumers: self.resumers.clone(),
            tx: self.tx.clone(),
            cancel: cancel.clone(),
            wrappers: self.wrappers.values().cloned().collect(),
            resets_at,
            clock: self.clock.clone(),
            stop: self.sessions[key]
                .last_stop
                .as_ref()
                .map(|s| s.reason.clone()),
        };
        if let Some(old) = self.attempts.insert(key.clone(), cancel) {
            old.cancel();
        }
        debug!(session = %key, attempt_id, "starting resume attempt");
        crate::tasks::spawn_tracked(&self.attempt_tasks, async move {
            durable.await;
            act::run_attempt(job).await
        });
    }

    fn on_deadline(&mut self, key: SessionKey) {
        self.apply(&key, step::Input::Deadline);
    }

    /// After a restart: re-arm waits, and treat attempts that were in flight as failed (their process is gone).
    fn recover_after_restart(&mut self) {
        let keys: Vec<SessionKey> = self.sessions.keys().cloned().collect();
        for key in keys {
            let live = match &self.sessions[&key].phase {
                Phase::Resuming {
                    attempt_id,
                    verify_by,
                    started_at,
                    ..
                } => self
                    .journal
                    .live_attempt(&key, *attempt_id)
                    .map(|process| (process, *attempt_id, *verify_by, *started_at)),
                _ => None,
            };
            let Some((process, attempt_id, verify_by, started_at)) = live else {
                self.apply(&key, step::Input::Restarted);
                continue;
            };
            // journal hook: its process outlived the previous daemon; judge it when it exits.
            self.timers.arm(key.clone(), verify_by);
            let (tx, stop) = (self.tx.clone(), self.attempts_root.clone());
            let transcript = self.sessions[&key].locator.transcript.clone();
            crate::tasks::spawn_tracked(&self.attempt_tasks, async move {
                tokio::select! {
                    _ = stop.cancelled() => {}
                    outcome = crate::journal::outcome_after_exit(process, transcript, started_at) => {
                        let event = AttemptEvent::Finished(Ok(outcome));
                        let _ = tx.send(EngineMsg::Attempt { session: key, attempt_id, event }).await;
                    }
                }
            });
        }
    }

    async fn save(&mut self) {
        self.dirty = false;
        self.save_due = None;
        self.forget_quiet_sessions();
        let journaled = self.journal.last_seq();
        let snapshot = EngineSnapshot {
            paused: self.paused,
            sessions: self.sessions.values().map(|s| (**s).clone()).collect(),
            offsets: self.offsets.clone(),
            next_attempt_id: self.next_attempt_id,
        };
        match persist::save(self.paths.state_file(), snapshot).await {
            Ok(()) => {
                self.journal.compact(journaled);
                self.remove_unparked_files().await;
                self.plan_parking();
                self.settle.work_done(tokio::time::Instant::now());
            }
            Err(e) => {
                tracing::error!(error = %e, "saving state failed");
                self.dirty = true;
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! Control requests, answered from the engine's own state.

use chrono::{DateTime, Utc};
use tracing::info;

use super::Engine;
use super::session::Phase;
use super::step::{Effect, Input};
use crate::audit::{AuditEvent, EventType};
use crate::decide::{self, Action};
use crate::model::{Observation, Origin, SessionKey};
use crate::protocol::{
    DaemonMode, ErrorCode, ErrorReply, HealthCheck, HealthReport, Request, Response, SessionList,
    StatusReport, Target,
};

impl Engine {
    pub(super) fn on_request(&mut self, req: Request) -> Response {
        match req {
            Request::Hello(_) => {
                Response::error(ErrorCode::BadRequest, "hello is answered by the transport")
            }
            Request::Status => Response::Status(self.status()),
            Request::Health => Response::Health(self.health()),
            Request::Sessions => Response::Sessions(self.session_list()),
            Request::Preview => Response::Preview(self.preview()),
            Request::Pause => self.pause(),
            Request::Resume => self.unpause(),
            Request::NewSession(t) => self.act_now(t, Some(Action::NewSession)),
            Request::Skip(t) => self.act_now(t, None),
            Request::ResumeSession(t) => self.act_now(t, Some(Action::SameSession)),
            Request::Abort(t) => self.abort(t),
            Request::Forget(f) => self.forget(f),
            Request::Reload => self.reload(),
            Request::Shutdown => {
                self.shutdown.cancel();
                Response::done("shutting down")
            }
            // Answered through the engine's queue (see `Engine::handle`): it may ask for a checkpoint.
            Request::Hook(_) => Response::error(
                ErrorCode::Internal,
                "hooks must go through the engine's queue",
            ),
            Request::RegisterWrapper(reg) => self.on_register_wrapper(reg),
            Request::UnregisterWrapper(id) => self.on_unregister_wrapper(id),
            Request::AgentSession(ctx) => self.agent_session(ctx),
            // Answered off the engine task (see `Engine::handle`); reaching here is a caller's mistake.
            Request::Checkpoint(_) => Response::error(
                ErrorCode::Internal,
                "checkpoint must go through the engine's queue",
            ),
        }
    }

    fn status(&self) -> StatusReport {
        StatusReport {
            mode: if self.paused {
                DaemonMode::Paused
            } else {
                DaemonMode::Monitoring
            },
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: self.started_at,
            config_file: self.paths.config_file.clone(),
            state_dir: self.paths.state_dir.clone(),
            watching: self.watching.clone(),
            sessions_total: self.sessions_known(),
            sessions_waiting: self
                .sessions
                .values()
                .filter(|s| matches!(s.phase, Phase::Waiting { .. }))
                .count(),
            next_action_at: self
                .sessions
                .values()
                .filter(|s| matches!(s.phase, Phase::Waiting { .. }))
                .filter_map(|s| s.deadline())
                .min(),
            saves: Default::default(),
        }
    }

    fn health(&self) -> HealthReport {
        let mut checks = vec![HealthCheck {
            name: "engine".into(),
            ok: true,
            detail: format!(
                "{} sessions tracked, {} deadlines armed",
                self.sessions.len(),
                self.timers.len()
            ),
        }];
        let state_ok = self.paths.state_dir.is_dir();
        checks.push(HealthCheck {
            name: "state_dir".into(),
            ok: state_ok,
            detail: self.paths.state_dir.display().to_string(),
        });
        for w in &self.watching {
            checks.push(HealthCheck {
                name: format!("watch:{}", w.assistant),
                ok: true,
                detail: format!("{} {}", w.source, w.location),
            });
        }
        // Half-configured channels work as "inactive"; say so, without failing health.
        for w in crate::config::warnings(&self.config) {
            checks.push(HealthCheck {
                name: "config".into(),
                ok: true,
                detail: format!("warning: {w}"),
            });
        }
        // A configured agent binary that is not there fails every resume of its sessions.
        for missing in crate::config::missing_binaries(&self.config) {
            checks.push(HealthCheck {
                name: format!("binary:{}", missing.section),
                ok: false,
                detail: missing.to_string(),
            });
        }
        checks.extend(crate::sources::garbage::health_checks());
        HealthReport {
            ok: checks.iter().all(|c| c.ok),
            checks,
        }
    }

    fn session_list(&self) -> SessionList {
        let now = self.now();
        let mut sessions: Vec<_> = self.sessions.values().map(|s| s.info(now)).collect();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.updated_at));
        SessionList { sessions }
    }

    /// What the daemon would do for each session that is not simply running, without doing it.
    fn preview(&self) -> SessionList {
        let now = self.now();
        let mut list = self.session_list();
        for info in &mut list.sessions {
            let sess = &self.sessions[&info.key];
            if info.next_action.is_some() {
                continue;
            }
            if let (Phase::Stopped { .. } | Phase::Failed { .. }, Some(stop)) =
                (&sess.phase, &sess.last_stop)
            {
                let plan = decide::decide(
                    &stop.reason,
                    info.key.assistant,
                    sess.history(now),
                    &self.config,
                    now,
                    0.0,
                );
                info.next_action = Some(super::agent::plan_view(plan, now));
            }
        }
        // In the order things will happen: sessions sharing a reset show who goes first.
        list.sessions
            .sort_by_key(|s| s.next_action.as_ref().map(|a| a.at));
        list
    }

    fn pause(&mut self) -> Response {
        if self.paused {
            return Response::done("already paused");
        }
        self.paused = true;
        self.dirty = true;
        self.record(AuditEvent::new(EventType::Paused));
        info!("paused: watching continues, no automatic actions");
        Response::done(
            "paused: sessions are still watched, but nothing is resumed until `palingenesis resume`",
        )
    }

    fn unpause(&mut self) -> Response {
        if !self.paused {
            return Response::done("not paused");
        }
        self.paused = false;
        self.dirty = true;
        self.record(AuditEvent::new(EventType::Unpaused));
        let keys: Vec<SessionKey> = self.sessions.keys().cloned().collect();
        let mut n = 0;
        for key in keys {
            let effects = self.apply(&key, Input::Unpaused);
            n += effects
                .iter()
                .filter(|e| matches!(e, Effect::Arm(_)))
                .count();
        }
        Response::done(format!("resumed automatic actions ({n} pending)"))
    }

    /// Resolve a target: an explicit id (full, `assistant:id`, or unique prefix), else the most recent session
    /// that needs action.
    pub(super) fn resolve(&self, target: &Target) -> Result<SessionKey, ErrorReply> {
        match &target.session {
            Some(wanted) => {
                use crate::model::session_ref::{Resolved, ambiguity, resolve};
                match resolve(self.sessions.keys(), wanted) {
                    Resolved::One(key) => Ok(key.clone()),
                    Resolved::None => Err(reply(
                        ErrorCode::NotFound,
                        format!("no tracked session matches `{wanted}`"),
                    )),
                    Resolved::Ambiguous(many) => {
                        Err(reply(ErrorCode::BadRequest, ambiguity(wanted, &many)))
                    }
                }
            }
            None => self
                .sessions
                .values()
                .filter(|s| !matches!(s.phase, Phase::Running | Phase::Done { .. }))
                .max_by_key(|s| s.updated_at)
                .map(|s| s.key.clone())
                .ok_or_else(|| {
                    reply(
                        ErrorCode::NotFound,
                        "no stopped or waiting session to act on",
                    )
                }),
        }
    }

    /// `skip` (act now with the planned action) or `new-session` (start a new session now).
    fn act_now(&mut self, target: Target, forced: Option<Action>) -> Response {
        let key = match self.resolve(&target) {
            Ok(k) => k,
            Err(e) => return Response::Error(e),
        };
        let planned = match (&self.sessions[&key].phase, forced) {
            (_, Some(action)) => Some(action),
            (Phase::Waiting { action, .. }, None) => Some(*action),
            _ => None,
        };
        if planned == Some(Action::NewSession)
            && let Some(why) = self.no_seed_for(&key)
        {
            return Response::error(ErrorCode::BadRequest, format!("nothing started: {why}"));
        }
        let effects = self.apply(&key, Input::ActNow { action: forced });
        for effect in effects {
            match effect {
                Effect::Refuse(why) => return Response::error(ErrorCode::BadRequest, why),
                Effect::Spawn { action, .. } => {
                    return Response::done(format!("{}: {} started", key, action.as_str()));
                }
                _ => {}
            }
        }
        Response::error(ErrorCode::Internal, format!("{key}: nothing was started"))
    }

    /// Why a new session for `key` could not be seeded, checked before anything starts: its working
    /// directory is unknown or has none of the files a seed comes from. Only a few `stat` calls (the
    /// attempt reads the files later, off this task).
    fn no_seed_for(&self, key: &SessionKey) -> Option<String> {
        let Some(cwd) = self.sessions[key].locator.cwd.as_deref() else {
            return Some(format!("{key}'s working directory is unknown"));
        };
        let ns = &self.config.new_session;
        let candidates = std::iter::once(&ns.next_step_file).chain(&ns.workflow_files);
        if candidates.clone().any(|f| cwd.join(f).is_file()) {
            return None;
        }
        let names: Vec<&str> = candidates.map(String::as_str).collect();
        Some(format!(
            "{} has none of {} to seed a new session from; write {} there, or continue the same session with \
             `palingenesis resume {}`",
            cwd.display(),
            names.join(", "),
            ns.next_step_file,
            key.id
        ))
    }

    fn abort(&mut self, target: Target) -> Response {
        let key = match self.resolve(&target) {
            Ok(k) => k,
            Err(e) => return Response::Error(e),
        };
        if !self.has_pending(&key) {
            let state = self.sessions[&key].info(self.now()).state.as_str();
            return Response::done(format!(
                "{key}: nothing pending to cancel (it is {state}); nothing changed"
            ));
        }
        self.apply(&key, Input::Abort);
        Response::done(format!("{key}: pending action cancelled"))
    }

    fn reload(&mut self) -> Response {
        match crate::config::load(&self.paths.config_file) {
            Ok(config) => {
                let changed = config != *self.config;
                self.config = std::sync::Arc::new(config);
                self.record(
                    AuditEvent::new(EventType::ConfigChanged).outcome(if changed {
                        "applied"
                    } else {
                        "unchanged"
                    }),
                );
                Response::done(if changed {
                    "configuration reloaded"
                } else {
                    "configuration unchanged"
                })
            }
            Err(e) => {
                self.record(AuditEvent::new(EventType::ConfigRejected).message(e.to_string()));
                Response::error(
                    ErrorCode::InvalidConfig,
                    format!("new configuration rejected, keeping the old one: {e}"),
                )
            }
        }
    }

    /// A hook payload: observed like any record; a hook that ends a turn may be answered with a checkpoint
    /// request (see [`super::checkpoint`]).
    pub(super) fn on_hook(
        &mut self,
        fwd: crate::protocol::HookForward,
        reply: tokio::sync::oneshot::Sender<Response>,
    ) {
        let usage = fwd
            .payload
            .get(crate::protocol::HOOK_CONTEXT_USE_FIELD)
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        match self.observe_hook(fwd) {
            Ok((key, true)) => self.hook_turn_ended(&key, usage, reply),
            Ok((_, false)) => {
                let _ = reply.send(Response::done("hook received"));
            }
            Err(resp) => {
                let _ = reply.send(*resp);
            }
        }
    }

    /// Observe a hook payload; its session, and whether it reports the normal end of a turn.
    fn observe_hook(
        &mut self,
        fwd: crate::protocol::HookForward,
    ) -> Result<(SessionKey, bool), Box<Response>> {
        let tz = crate::classify::env_tz();
        let ctx = crate::classify::ClassifyContext::new(self.now(), tz);
        let parsed = crate::assistants::get(fwd.assistant)
            .and_then(|adapter| adapter.parse_hook(&fwd.payload, &ctx));
        let Some(parsed) = parsed else {
            return Err(Box::new(Response::error(
                ErrorCode::BadRequest,
                format!("hooks of {} are not supported", fwd.assistant),
            )));
        };
        let (Some(id), Some(signal)) = (parsed.session_id, parsed.signal) else {
            return Err(Box::new(Response::done(
                "hook ignored (no session or nothing to act on)",
            )));
        };
        // A session nobody can name (empty, or control characters) would be tracked until pruned.
        if id.trim().is_empty() || id.chars().any(char::is_control) {
            tracing::warn!(assistant = %fwd.assistant, "hook with an unusable session id ignored");
            return Err(Box::new(Response::error(
                ErrorCode::BadRequest,
                "hook ignored: its session id is empty or has control characters",
            )));
        }
        let mut locator = crate::model::Locator {
            cwd: parsed.cwd,
            transcript: parsed.transcript,
            ..Default::default()
        };
        if let Some(pid) = fwd
            .payload
            .get("palingenesis_agent_pid")
            .and_then(|v| v.as_u64())
        {
            locator.pid = Some(pid as u32);
        }
        let key = SessionKey::new(fwd.assistant, id);
        let turn_ended = matches!(
            signal,
            crate::model::Signal::Stopped {
                reason: crate::model::StopReason::Completed,
                ..
            }
        );
        self.on_observation(Observation {
            session: key.clone(),
            at: parsed
                .at
                .or_else(|| spooled_at(&fwd.payload, self.now()))
                .unwrap_or_else(|| self.now()),
            signal,
            origin: Origin::Hook,
            locator,
        });
        let env = fwd
            .payload
            .get("palingenesis_agent_env")
            .and_then(|v| serde_json::from_value::<crate::model::AgentEnv>(v.clone()).ok())
            .filter(|e| !e.is_empty());
        if let Some(sess) = self.sessions.get_mut(&key) {
            if let Some(env) = env {
                sess.agent_env = env;
            }
            if !sess.checkpoint.hooked {
                sess.checkpoint.hooked = true;
                self.dirty = true;
            }
        }
        Ok((key, turn_ended))
    }
}

/// When a hook handled late from its spooled copy ran (never later than `now`).
fn spooled_at(payload: &serde_json::Value, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let at = payload.get(crate::hookspool::SPOOLED_AT_FIELD)?.as_str()?;
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    Some(at.min(now))
}

/// Whether `wanted` names `key` the way a control request's reference is resolved
/// ([`crate::model::session_ref::resolve`]): its id, `assistant:id`, or a prefix of either.
pub(super) fn names(key: &SessionKey, wanted: &str) -> bool {
    use crate::model::session_ref::{Resolved, resolve};
    !matches!(resolve(std::iter::once(key), wanted), Resolved::None)
}

fn reply(code: ErrorCode, message: impl Into<String>) -> ErrorReply {
    ErrorReply {
        code,
        message: message.into(),
    }
}

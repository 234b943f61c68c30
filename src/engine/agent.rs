//! Requests from an agent about itself (the MCP tools `session_status`, `quota_status`, `checkpoint`): which
//! tracked session is the asking agent's, what limit binds it and what palingenesis will do, and writing its
//! checkpoint where the next new session will read it.

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use super::Engine;
use super::session::TrackedSession;
use crate::audit::{AuditEvent, EventType};
use crate::decide::Plan;
use crate::model::{SessionKey, StopReason, UsageWindow};
use crate::nextstep::{CheckpointTarget, write_checkpoint};
use crate::protocol::{
    AgentContext, AgentSessionReport, CheckpointRequest, ErrorCode, LimitView, PlannedActionView,
    Response,
};

/// A plan as control surfaces show it.
pub(super) fn plan_view(plan: Plan, now: DateTime<Utc>) -> PlannedActionView {
    let (action, at, reason) = match plan {
        Plan::Resume { action, at, why } => (action.as_str().to_string(), at, why),
        Plan::Notify { why } => ("notify".into(), now, why),
        Plan::Finish { why } => ("nothing".into(), now, why),
        Plan::GiveUp { why } => ("give_up".into(), now, why),
    };
    PlannedActionView { action, at, reason }
}

impl Engine {
    /// The tracked session of the agent described by `ctx`, and how it was found.
    pub(super) fn agent_session_key(
        &self,
        ctx: &AgentContext,
    ) -> Option<(SessionKey, &'static str)> {
        let latest = |f: &dyn Fn(&TrackedSession) -> bool| {
            self.sessions
                .values()
                .filter(|s| f(s))
                .max_by_key(|s| s.updated_at)
                .map(|s| s.key.clone())
        };
        if let Some(id) = ctx.session.as_deref().filter(|id| !id.is_empty())
            && let Some(key) = latest(&|s| s.key.id == id)
        {
            return Some((key, "session_id"));
        }
        if let Some(key) = latest(&|s| s.locator.pid.is_some_and(|p| ctx.ancestors.contains(&p))) {
            return Some((key, "process"));
        }
        let cwd = ctx.cwd.as_deref()?;
        latest(&|s| s.locator.cwd.as_deref() == Some(cwd)).map(|key| (key, "cwd"))
    }

    /// `session_status` / `quota_status`: the asking agent's session, the binding limit of its assistant, and
    /// what palingenesis does about it.
    pub(super) fn agent_session(&self, ctx: AgentContext) -> Response {
        let now = self.now();
        let found = self.agent_session_key(&ctx);
        let sess = found.as_ref().map(|(k, _)| &self.sessions[k]);
        let assistant = sess.map(|s| s.key.assistant);
        let limit = assistant.and_then(|a| self.binding_limit(a, now));
        let plan = match sess.map(|s| s.info(now)).and_then(|i| i.next_action) {
            Some(pending) => Some(pending),
            // Nothing pending: what happens if this session stops on the known limit.
            None => match (sess, &limit) {
                (Some(s), Some((reason, _))) => Some(self.would_do(s, reason, now)),
                _ => None,
            },
        };
        let project = sess.and_then(|s| s.locator.cwd.clone()).or(ctx.cwd.clone());
        Response::AgentSession(Box::new(AgentSessionReport {
            session: sess.map(|s| s.info(now)),
            matched_by: found.map(|(_, by)| by.to_string()),
            assistant,
            limit: limit.map(|(_, view)| view),
            plan,
            next_step_file: project.map(|p| p.join(&self.config.new_session.next_step_file)),
        }))
    }

    /// The latest usage or rate limit any session of `assistant` hit that has not reset yet.
    pub(super) fn binding_limit(
        &self,
        assistant: crate::model::Assistant,
        now: DateTime<Utc>,
    ) -> Option<(StopReason, LimitView)> {
        self.sessions
            .values()
            .filter(|s| s.key.assistant == assistant)
            .filter_map(|s| Some((s, s.last_stop.as_ref()?)))
            // Rate limits (429s without a window) pass within minutes; only usage windows bind.
            .filter(|(_, stop)| {
                matches!(&stop.reason, StopReason::UsageLimit { resets_at, .. }
                    if resets_at.is_none_or(|r| r > now))
            })
            .max_by_key(|(_, stop)| stop.at)
            .map(|(s, stop)| {
                let (window, resets_at) = match &stop.reason {
                    StopReason::UsageLimit {
                        window, resets_at, ..
                    } => (window_name(*window), *resets_at),
                    _ => (None, None),
                };
                let view = LimitView {
                    kind: stop.reason.label().to_string(),
                    window,
                    resets_at,
                    seen_at: stop.at,
                    seen_in: s.key.to_string(),
                };
                (stop.reason.clone(), view)
            })
    }

    /// `checkpoint`: written off the engine task (file I/O); the reply is sent when it is on disk.
    pub(super) fn on_checkpoint(
        &mut self,
        req: CheckpointRequest,
        reply: oneshot::Sender<Response>,
    ) {
        let found = self.agent_session_key(&req.context);
        let project = found
            .as_ref()
            .and_then(|(k, _)| self.sessions[k].locator.cwd.clone())
            .or(req.context.cwd.clone())
            .filter(|p| p.is_absolute());
        let Some(project) = project else {
            let _ = reply.send(Response::error(
                ErrorCode::BadRequest,
                "no project directory: the agent's session is not tracked and no absolute cwd was given",
            ));
            return;
        };
        let ns = &self.config.new_session;
        let backup_name = match &found {
            Some((key, _)) => format!("checkpoint-{}", key.id),
            None => "checkpoint".to_string(),
        };
        let target = CheckpointTarget {
            project,
            next_step_file: ns.next_step_file.clone(),
            workflow_files: ns.workflow_files.clone(),
            backup: self.config.backup.enabled.then(|| {
                (
                    self.paths.backup_dir(),
                    backup_name,
                    self.config.backup.keep,
                )
            }),
        };
        let audit = self.audit.clone();
        let now = self.now();
        let mut event = AuditEvent::new(EventType::CheckpointWritten).at(now);
        if let Some((key, _)) = &found {
            event = event.session(key.id.clone()).assistant(key.assistant);
        }
        crate::tasks::spawn_tracked(&self.attempt_tasks, async move {
            let work = crate::tasks::spawn_blocking(move || {
                write_checkpoint(&target, &req.next_step, &req.steps_completed, now)
            })
            .await;
            let resp = match work {
                Ok(Ok(w)) => {
                    let mut msg = format!("checkpoint written to {}", w.next_step.display());
                    if let Some((path, added)) = &w.workflow {
                        msg.push_str(&format!(
                            "; {} step(s) added to {}",
                            added.len(),
                            path.display()
                        ));
                    }
                    if let Some(copy) = &w.next_step_backup {
                        msg.push_str(&format!("; previous version kept at {}", copy.display()));
                    }
                    audit.record(event.outcome("written").message(msg.clone()));
                    Response::done(msg)
                }
                Ok(Err(e)) => {
                    audit.record(event.outcome("refused").message(e.to_string()));
                    Response::error(
                        ErrorCode::BadRequest,
                        format!("checkpoint not written: {e}"),
                    )
                }
                Err(e) => Response::error(ErrorCode::Internal, e.to_string()),
            };
            let _ = reply.send(resp);
        });
    }
}

fn window_name(w: UsageWindow) -> Option<String> {
    match w {
        UsageWindow::Session => Some("session".into()),
        UsageWindow::Weekly => Some("weekly".into()),
        UsageWindow::ExtraUsage => Some("extra_usage".into()),
        UsageWindow::Unknown => None,
    }
}

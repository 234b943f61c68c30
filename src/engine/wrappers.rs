//! The engine's side of reachable terminals: registered `palingenesis run` wrappers, what probing a session's
//! agent found, and the plan each wrapper shows in its terminal's title.

use std::time::Duration;

use tracing::{debug, info};

use super::session::{Phase, ReachKind};
use super::{Engine, EngineMsg};
use crate::interactive::{self, Reach};
use crate::model::SessionKey;
use crate::protocol::{Response, WrapperId, WrapperRegistration};
use crate::wrapper::protocol::PlanNotice;

const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

impl Engine {
    pub(super) fn on_register_wrapper(&mut self, reg: WrapperRegistration) -> Response {
        info!(wrapper = %reg.id, agent_pid = reg.agent.pid, cwd = %reg.cwd.display(), "wrapper registered");
        let id = reg.id.clone();
        self.wrappers.insert(id.clone(), reg);
        for key in self.sessions_to_probe() {
            self.probe_reach(&key);
        }
        Response::done(format!("wrapper {id} registered"))
    }

    pub(super) fn on_unregister_wrapper(&mut self, WrapperId { id }: WrapperId) -> Response {
        if self.wrappers.remove(&id).is_none() {
            return Response::done(format!("wrapper {id} was not registered"));
        }
        info!(wrapper = %id, "wrapper gone");
        self.wrapper_plans.remove(&id);
        let held: Vec<SessionKey> = self
            .sessions
            .values()
            .filter(|s| s.locator.wrapper.as_deref() == Some(id.as_str()))
            .map(|s| s.key.clone())
            .collect();
        for key in held {
            if let Some(sess) = self.sessions.get_mut(&key) {
                sess.locator.wrapper = None;
                sess.probed = None;
                self.dirty = true;
            }
            self.probe_reach(&key);
        }
        Response::done(format!("wrapper {id} unregistered"))
    }

    /// Sessions whose reach matters: those with a stop being handled.
    fn sessions_to_probe(&self) -> Vec<SessionKey> {
        self.sessions
            .values()
            .filter(|s| {
                matches!(
                    s.phase,
                    Phase::Waiting { .. } | Phase::Stopped { .. } | Phase::Resuming { .. }
                )
            })
            .map(|s| s.key.clone())
            .collect()
    }

    /// Look (off the engine task) at how `key`'s agent can be reached; the answer comes back as
    /// [`EngineMsg::Reached`].
    pub(super) fn probe_reach(&mut self, key: &SessionKey) {
        let Some(sess) = self.sessions.get(key) else {
            return;
        };
        let Some(adapter) = crate::assistants::get(key.assistant) else {
            return;
        };
        let (assistant, id, locator) = (key.assistant, key.id.clone(), sess.locator.clone());
        let wrappers: Vec<WrapperRegistration> = self.wrappers.values().cloned().collect();
        let tx = self.tx.clone();
        let session = key.clone();
        crate::tasks::spawn_tracked(&self.attempt_tasks, async move {
            let work = crate::tasks::spawn_blocking(move || {
                interactive::probe(assistant, adapter.process(), &id, &locator, &wrappers)
            });
            if let Ok(Ok(reach)) = tokio::time::timeout(PROBE_TIMEOUT, work).await {
                let _ = tx.send(EngineMsg::Reached { session, reach }).await;
            }
        });
    }

    pub(super) fn on_reached(&mut self, key: SessionKey, reach: Reach) {
        let Some(sess) = self.sessions.get_mut(&key) else {
            return;
        };
        let (kind, wrapper, pane) = match &reach {
            Reach::Gone | Reach::Exiting { .. } => (ReachKind::Headless, None, None),
            Reach::Pty { wrapper, .. } => (ReachKind::Pty, Some(wrapper.id.clone()), None),
            Reach::Tmux { pane, .. } => (ReachKind::Tmux, None, Some(pane.pane_id.clone())),
            Reach::Unreachable { .. } => (ReachKind::NeedsAttention, None, None),
        };
        if sess.probed != Some(kind) || sess.locator.wrapper != wrapper {
            debug!(session = %key, reach = kind.as_str(), "reach found");
        }
        sess.probed = Some(kind);
        sess.locator.wrapper = wrapper;
        sess.locator.tmux_pane = pane;
        if let Reach::Pty { agent, .. } | Reach::Tmux { agent, .. } = &reach {
            sess.locator.pid = Some(agent.pid);
        }
        self.dirty = true;
    }

    /// Tell each wrapper the plan of the session it holds, when that changed.
    pub(super) fn sync_wrapper_plans(&mut self) {
        let wanted: Vec<(String, PlanNotice)> = self
            .wrappers
            .keys()
            .map(|id| {
                let plan = self
                    .sessions
                    .values()
                    .filter(|s| s.locator.wrapper.as_deref() == Some(id.as_str()))
                    .find_map(|s| match s.phase {
                        Phase::Waiting { until, .. } => Some(PlanNotice::ResumeAt { at: until }),
                        Phase::Resuming { .. } => Some(PlanNotice::ResumingNow),
                        _ => None,
                    })
                    .unwrap_or(PlanNotice::Clear);
                (id.clone(), plan)
            })
            .collect();
        for (id, plan) in wanted {
            let last = self
                .wrapper_plans
                .get(&id)
                .copied()
                .unwrap_or(PlanNotice::Clear);
            if last == plan {
                continue;
            }
            self.wrapper_plans.insert(id.clone(), plan);
            let socket = self.wrappers[&id].socket.clone();
            crate::tasks::spawn_tracked(&self.attempt_tasks, async move {
                if let Err(e) = crate::wrapper::client::send_plan(&socket, plan).await {
                    debug!(wrapper = %id, error = %e, "could not show the plan in the wrapper's title");
                }
            });
        }
    }
}

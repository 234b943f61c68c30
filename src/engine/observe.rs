//! Applying what sources observed: the session is found (or starts being tracked), its locator learns what
//! the observation says about reaching it, and the signal becomes an input of its state machine
//! ([`super::step`]).

use tracing::{debug, warn};

use super::Engine;
use super::session::TrackedSession;
use super::step::Input;
use crate::model::{Observation, Origin, SessionKey, Signal};

impl Engine {
    pub(super) fn on_observation(&mut self, mut obs: Observation) {
        let now = self.now();
        let key = obs.session.clone();
        if let Signal::Stopped { .. } = obs.signal {
            // journal hook: durable before anything acknowledges it.
            self.journal.stop(&obs);
        }
        let (at, from_future) = crate::clock::observed_at(obs.at, now);
        if from_future {
            warn!(session = %key, claimed = %obs.at, "a record dated in the future; using the time it was read");
            obs.at = at;
        }
        let new = !self.sessions.contains_key(&key);
        self.sessions.entry(key.clone()).or_insert_with(|| {
            Box::new(TrackedSession::new(key.clone(), obs.locator.clone(), now))
        });
        if new && obs.origin != Origin::Hook && obs.origin != Origin::Control {
            self.learn_agent_env(&key, &obs.locator);
        }
        let sess = self.sessions.get_mut(&key).expect("inserted above");
        sess.locator.merge(&obs.locator);
        sess.updated_at = now;
        self.dirty = true;
        let input = match obs.signal {
            Signal::Started { resumed } => {
                debug!(session = %key, resumed, "session started");
                return;
            }
            Signal::Progress => Input::Progress { at: obs.at },
            Signal::Retrying { next } => Input::Retrying { next },
            Signal::SelfContinue(signal) => Input::SelfContinue(signal),
            Signal::ContextUse(usage) => {
                self.on_context_use(&key, usage);
                return;
            }
            Signal::QuotaUse(quota) => {
                self.on_quota_use(&key, quota);
                return;
            }
            Signal::Stopped { reason, evidence } => Input::Stopped {
                reason,
                evidence,
                at: obs.at,
                origin: obs.origin,
            },
        };
        self.apply(&key, input);
    }
}

impl Engine {
    /// A session first seen in its files: while its agent still runs, remember the agent's environment (HOME,
    /// provider URL, keys…) so a later resume runs as the agent did, even without hooks and even when the
    /// daemon was started with a different environment (a service manager's).
    fn learn_agent_env(&self, key: &SessionKey, locator: &crate::model::Locator) {
        if locator.cwd.is_none() && locator.pid.is_none() {
            return;
        }
        let Some(adapter) = crate::assistants::get(key.assistant) else {
            return;
        };
        let (key, locator, tx) = (key.clone(), locator.clone(), self.tx.clone());
        crate::tasks::spawn_blocking(move || {
            let pid = crate::procfs::find_agents(adapter.process(), &key.id, &locator)
                .into_iter()
                .next();
            let env = pid
                .and_then(|pid| crate::procfs::environment(pid, adapter.env_prefixes()))
                .filter(|e| !e.is_empty());
            if let Some(env) = env {
                // A full queue only costs this optimisation; the hook path still works.
                let _ = tx.try_send(super::EngineMsg::AgentEnv { session: key, env });
            }
        });
    }
}

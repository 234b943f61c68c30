//! The early checkpoint, the engine's side: follow each session's context use and quota use, and when either
//! crosses its `[checkpoint]` threshold ask the agent once (per session and threshold; for the quota per usage
//! window and threshold) to write its next-step file, so the new session after the context or the quota runs
//! out starts from a fresh one. When a request is due is decided by
//! [`crate::nextstep::early`]; how it reaches the agent is its assistant's: a hook that can make the agent go
//! on with an instruction ([`crate::adapter::Adapter::hook_continue`]) asks at the end of the next turn; an
//! interactive agent palingenesis can type into gets it typed at its idle prompt (`checkpoint_terminal`),
//! and so does one whose assistant has such hooks but that runs without them (no hook has reported it).
//! Otherwise the request is recorded as not asked.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::{debug, info};

use super::Engine;
use super::checkpoint_terminal::{self, TerminalAsk};
use crate::audit::{AuditEvent, AuditWriter, EventType};
use crate::config::{CheckpointEnabled, CheckpointPolicy};
use crate::model::{ContextUse, QuotaUse, SessionKey};
use crate::nextstep::early::{self, Due, QuotaDue};
use crate::protocol::{ContinueTurn, Response};

/// A request that is due for one session, with everything needed to ask off the engine task.
struct Ask {
    key: SessionKey,
    trigger: Trigger,
    enabled: CheckpointEnabled,
    project: PathBuf,
    instruction: String,
    seed: crate::nextstep::SeedConfig,
}

/// What crossed its threshold.
#[derive(Clone, Copy, Debug)]
enum Trigger {
    Context(Due),
    Quota(QuotaDue),
}

impl Engine {
    /// A session's records said how full its context is. A session whose hooks can ask is asked at the end of
    /// its turn ([`Engine::hook_turn_ended`]); any other is typed to at its idle prompt when it lives in a
    /// terminal palingenesis can type into, else recorded as not asked.
    pub(super) fn on_context_use(&mut self, key: &SessionKey, usage: ContextUse) {
        let Some(sess) = self.sessions.get_mut(key) else {
            return;
        };
        if sess.checkpoint.context == Some(usage) {
            return;
        }
        sess.checkpoint.context = Some(usage);
        self.dirty = true;
        self.ask_unless_by_hook(key);
    }

    /// A session's records said how much of a usage window its account has spent; asked like
    /// [`Engine::on_context_use`].
    pub(super) fn on_quota_use(&mut self, key: &SessionKey, quota: QuotaUse) {
        let Some(sess) = self.sessions.get_mut(key) else {
            return;
        };
        if sess.checkpoint.quota == Some(quota) {
            return;
        }
        sess.checkpoint.quota = Some(quota);
        self.dirty = true;
        self.ask_unless_by_hook(key);
    }

    /// Ask now, in the agent's terminal, when a request is due and the session will not be asked through its
    /// hooks at the end of the turn: its assistant's hooks cannot ask, or its agent runs without
    /// palingenesis's hooks (none of them has reported it; a hooked agent reports its start).
    fn ask_unless_by_hook(&mut self, key: &SessionKey) {
        let hooked = self.sessions.get(key).is_some_and(|s| s.checkpoint.hooked);
        let asks_by_hook = hooked
            && crate::assistants::get(key.assistant).is_some_and(|a| a.hook_continue("").is_some());
        if asks_by_hook {
            return;
        }
        if let Some(ask) = self.checkpoint_due(key) {
            let sess = &self.sessions[key];
            let patience = Duration::from_secs(self.config.resume.verify_timeout_secs)
                .clamp(Duration::from_secs(10), Duration::from_secs(3600));
            let at = TerminalAsk {
                locator: sess.locator.clone(),
                wrappers: self.wrappers.values().cloned().collect(),
                patience,
                cancel: self.attempts_root.child_token(),
            };
            self.spawn_ask(ask, Delivery::Terminal(at));
        }
    }

    /// The end of a turn, reported by a hook that can make the agent go on (`usage`: what the hook read from
    /// the session's records just then). Answers `reply` with the checkpoint request when one is due.
    pub(super) fn hook_turn_ended(
        &mut self,
        key: &SessionKey,
        usage: Option<ContextUse>,
        reply: oneshot::Sender<Response>,
    ) {
        if let (Some(usage), Some(sess)) = (usage, self.sessions.get_mut(key)) {
            sess.checkpoint.context = Some(usage);
            self.dirty = true;
        }
        match self.checkpoint_due(key) {
            Some(ask) => self.spawn_ask(ask, Delivery::Hook(reply)),
            None => {
                let _ = reply.send(Response::done("hook received"));
            }
        }
    }

    /// The request due for `key` now, if any; marks its threshold as asked (so it is never due twice). The
    /// context comes first; when the quota crossed its threshold too, the one request stands for both.
    fn checkpoint_due(&mut self, key: &SessionKey) -> Option<Ask> {
        let config = &self.config.checkpoint;
        let sess = self.sessions.get(key)?;
        let project = sess.locator.cwd.clone().filter(|p| p.is_absolute())?;
        let policy: CheckpointPolicy = config.for_project(Some(&project));
        if policy.enabled == CheckpointEnabled::No {
            return None;
        }
        let window = (config.window_tokens > 0).then_some(config.window_tokens);
        let track = &sess.checkpoint;
        let context = track
            .context
            .and_then(|usage| early::due(usage, window, policy.threshold_percent, &track.asked));
        let quota = track
            .quota
            .and_then(|q| early::quota_due(q, policy.quota_percent, &track.quota_asked));
        let trigger = context
            .map(Trigger::Context)
            .or(quota.map(Trigger::Quota))?;
        let ns = &self.config.new_session;
        let file = project.join(&ns.next_step_file);
        let instruction = match &trigger {
            Trigger::Context(due) => early::request_text(&policy.prompt, due, &file),
            Trigger::Quota(due) => early::quota_request_text(&policy.quota_prompt, due, &file),
        };
        let seed = crate::nextstep::SeedConfig {
            next_step_file: ns.next_step_file.clone(),
            workflow_files: ns.workflow_files.clone(),
            prompt_template: ns.prompt_template.clone(),
        };
        let sess = self.sessions.get_mut(key)?;
        if let Some(due) = context {
            sess.checkpoint.asked.push(due.threshold);
        }
        if let Some(due) = quota {
            // One mark per window and threshold: the latest period's.
            let asked = &mut sess.checkpoint.quota_asked;
            asked.retain(|a| (a.window, a.threshold) != (due.quota.window, due.threshold));
            asked.push(due.asked());
        }
        self.dirty = true;
        Some(Ask {
            key: key.clone(),
            trigger,
            enabled: policy.enabled,
            project,
            instruction,
            seed,
        })
    }

    /// Ask (or record why not) off the engine task: whether the project follows the next-step convention
    /// is read from its files.
    fn spawn_ask(&mut self, ask: Ask, delivery: Delivery) {
        let (audit, clock) = (self.audit.clone(), self.clock.clone());
        crate::tasks::spawn_tracked(&self.attempt_tasks, async move {
            let applies = match ask.enabled {
                CheckpointEnabled::IfConvention => {
                    let (project, seed) = (ask.project.clone(), ask.seed.clone());
                    crate::tasks::spawn_blocking(move || early::follows_convention(&project, &seed))
                        .await
                        .unwrap_or(false)
                }
                _ => true,
            };
            if !applies {
                debug!(session = %ask.key, trigger = ?ask.trigger, "past the checkpoint threshold, but the project keeps no next-step file; not asked");
                delivery.decline();
                return;
            }
            match delivery {
                Delivery::Hook(reply) => {
                    info!(session = %ask.key, trigger = ?ask.trigger, "asking the agent to checkpoint");
                    record(&audit, &ask, Ok("hook"), clock());
                    let _ = reply.send(Response::Continue(ContinueTurn {
                        instruction: ask.instruction,
                    }));
                }
                Delivery::Terminal(at) => {
                    let typed = checkpoint_terminal::ask(&ask.key, &ask.instruction, at).await;
                    let why = |e: String| {
                        format!(
                            "could not be asked in its terminal: {e}; write the checkpoint by hand or through the MCP tool `checkpoint`"
                        )
                    };
                    record(&audit, &ask, typed.map_err(why), clock());
                }
            }
        });
    }
}

/// How a due request reaches the agent.
enum Delivery {
    /// As the answer to the hook that reported the end of its turn.
    Hook(oneshot::Sender<Response>),
    /// Typed into its terminal, if it lives in one palingenesis can type into.
    Terminal(TerminalAsk),
}

impl Delivery {
    fn decline(self) {
        if let Delivery::Hook(reply) = self {
            let _ = reply.send(Response::done("hook received"));
        }
    }
}

/// `how`: the way it was asked, or why it could not be.
fn record(
    audit: &AuditWriter,
    ask: &Ask,
    how: Result<&'static str, String>,
    now: chrono::DateTime<chrono::Utc>,
) {
    let (outcome, how, message) = match how {
        Ok(how) => ("asked", how, ask.instruction.clone()),
        Err(why) => ("not_asked", "none", why),
    };
    let mut metadata = match ask.trigger {
        Trigger::Context(due) => serde_json::json!({
            "trigger": "context",
            "used_tokens": due.used_tokens,
            "window_tokens": due.window_tokens,
            "percent": due.percent,
            "threshold": due.threshold,
        }),
        Trigger::Quota(due) => serde_json::json!({
            "trigger": "quota",
            "quota_percent": due.quota.percent,
            "quota_window": due.quota.window,
            "resets_at": due.quota.resets_at,
            "percent": due.quota.percent,
            "threshold": due.threshold,
        }),
    };
    metadata["how"] = how.into();
    audit.record(
        AuditEvent::new(EventType::CheckpointRequested)
            .at(now)
            .session_key(&ask.key)
            .outcome(outcome)
            .message(message)
            .metadata(metadata),
    );
}

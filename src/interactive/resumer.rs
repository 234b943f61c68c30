//! Terminal delivery as a [`Resumer`]: an agent still alive in a reachable terminal (its `palingenesis run`
//! wrapper or a tmux pane) is continued by typing the prompt there. The attempt chooses it, per attempt, from
//! the one probe of the agent it made; the engine verifies from the transcript that the turn makes progress.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use tracing::info;

use super::{ScreenRules, Terminal, Typing, deliver, foreground_check};
use crate::model::TurnOutcome;
use crate::procfs::ProcId;
use crate::resume::{ContinueRequest, ResumeError, Resumer, StartRequest};

pub struct TerminalResumer {
    terminal: Box<dyn Terminal>,
    /// The agent the probe found in that terminal: typing stops if it leaves the foreground or exits.
    agent: ProcId,
    rules: &'static dyn ScreenRules,
    typing: Typing,
}

impl TerminalResumer {
    pub fn new(
        terminal: Box<dyn Terminal>,
        agent: ProcId,
        rules: &'static dyn ScreenRules,
        typing: Typing,
    ) -> Arc<Self> {
        Arc::new(TerminalResumer {
            terminal,
            agent,
            rules,
            typing,
        })
    }
}

impl Resumer for TerminalResumer {
    fn continue_session(
        self: Arc<Self>,
        req: ContinueRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        async move {
            let terminal = self.terminal.describe();
            info!(session = %req.session_id, %terminal, "resuming in the agent's own terminal");
            let check = foreground_check(self.agent);
            deliver(
                &*self.terminal,
                self.rules,
                &check,
                &req.prompt,
                self.typing,
                &req.cancel,
            )
            .await
            .map(|()| TurnOutcome::Delivered)
            .map_err(|source| match source {
                super::DeliverError::NeedsHuman(why) => {
                    ResumeError::NeedsHuman(format!("{terminal}: {why}"))
                }
                source => ResumeError::Terminal {
                    terminal,
                    source: Box::new(source),
                },
            })
        }
        .boxed()
    }

    fn start_session(
        self: Arc<Self>,
        _req: StartRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        async {
            Err(ResumeError::Failed(
                "a new session cannot be started while the agent still runs in its terminal".into(),
            ))
        }
        .boxed()
    }
}

//! Resumers: one per way of reaching a session. The engine decides *when* and *what*; a resumer only knows
//! *how* for its assistant, and reports what it could verify.

pub(crate) mod command;
#[cfg(test)]
pub mod fake;
pub mod safety;
pub(crate) mod session_flag;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use crate::model::TurnOutcome;
use crate::model::{AgentEnv, Assistant, Locator};

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("could not start `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{program}` did not finish within {secs} s")]
    Timeout { program: String, secs: u64 },
    #[error("{0}")]
    Failed(String),
    /// Typing into the agent's own terminal failed.
    #[error("typing into {terminal}: {source}")]
    Terminal {
        terminal: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The agent shows something only a person should answer (a menu that spends money or changes the
    /// model); asking again later would not help.
    #[error("{0}")]
    NeedsHuman(String),
    #[error("cancelled")]
    Cancelled,
}

/// Continue an existing session with a prompt.
#[derive(Debug, Clone)]
pub struct ContinueRequest {
    pub session_id: String,
    pub cwd: PathBuf,
    pub locator: Locator,
    pub prompt: String,
    /// The agent's own environment, overlaid on the daemon's when the agent is run again.
    pub env: AgentEnv,
    /// opencode: summarize the session before continuing.
    pub summarize_first: bool,
    pub cancel: CancellationToken,
}

/// Start a new session in `cwd` with `prompt`. The resumer reports the new session's id (and how to reach it)
/// on `started` as soon as it knows it, before the turn ends.
#[derive(Debug)]
pub struct StartRequest {
    pub cwd: PathBuf,
    pub prompt: String,
    pub env: AgentEnv,
    pub started: mpsc::Sender<(String, Locator)>,
    pub cancel: CancellationToken,
}

pub trait Resumer: Send + Sync {
    fn continue_session(
        self: Arc<Self>,
        req: ContinueRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>>;
    fn start_session(
        self: Arc<Self>,
        req: StartRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>>;
}

/// The resumer of each assistant.
#[derive(Clone, Default)]
pub struct Resumers {
    by_assistant: HashMap<Assistant, Arc<dyn Resumer>>,
}

impl Resumers {
    pub fn with(mut self, assistant: Assistant, resumer: Arc<dyn Resumer>) -> Self {
        self.by_assistant.insert(assistant, resumer);
        self
    }

    pub fn get(&self, assistant: Assistant) -> Option<Arc<dyn Resumer>> {
        self.by_assistant.get(&assistant).cloned()
    }
}

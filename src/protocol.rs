//! The one control protocol. Every control surface (CLI over the Unix socket, and any later HTTP API,
//! MCP server or chat bot) turns its input into a [`Request`] and renders a [`Response`].
//!
//! On the socket each message is one frame: a 4-byte big-endian length, then that many bytes of JSON.
//! Requests above [`MAX_FRAME_BYTES`] (replies above [`MAX_REPLY_BYTES`]) are refused without being
//! allocated; a reply that would be larger becomes an error reply, never silence. The first frame of every
//! connection is [`Request::Hello`]; the daemon answers [`Response::Hello`] with its own version so a
//! client can tell "ready" from "version differs".

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Assistant, Locator, SessionKey, StopReason};

mod agent;
pub use agent::{AgentContext, AgentSessionReport, CheckpointRequest, LimitView};

/// Bumped whenever a Request or Response changes incompatibly.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest request frame the daemon accepts (and largest frame of other framed links).
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Largest reply frame the daemon sends and a client accepts: lists of ~100,000 sessions. Only the
/// daemon's own user can connect, so a client trusts the daemon with this much memory; the daemon never
/// reads more than [`MAX_FRAME_BYTES`] from a client.
pub const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    Hello(Hello),
    Status,
    Health,
    Sessions,
    /// What the daemon would do next for every session, without doing it.
    Preview,
    /// Stop automatic actions (keep watching). Survives restarts.
    Pause,
    /// Undo [`Request::Pause`].
    Resume,
    /// Start a new session now (context strategy) for one session, or the most recent stopped one.
    NewSession(Target),
    /// Skip the pending wait: act now.
    Skip(Target),
    /// Resume one session now with the continue prompt, whatever it was waiting for (a person said so).
    ResumeSession(Target),
    /// Cancel pending action and stop managing the session until it makes progress again.
    Abort(Target),
    /// Stop tracking a session (and drop its transcript read offset); refused while a resume is pending
    /// unless `force`, which cancels it first.
    Forget(ForgetRequest),
    /// Re-read the config file.
    Reload,
    /// Shut the daemon down gracefully.
    Shutdown,
    /// A raw hook payload forwarded by `palingenesis hook <assistant>`.
    Hook(HookForward),
    /// A `palingenesis run` wrapper started an agent and listens for text to type on its own socket.
    RegisterWrapper(WrapperRegistration),
    /// The wrapper's agent exited; forget it.
    UnregisterWrapper(WrapperId),
    /// An agent asking about its own session and quota (MCP `session_status`, `quota_status`).
    AgentSession(AgentContext),
    /// An agent's checkpoint: its project's next-step file (and workflow progress), written by the daemon.
    Checkpoint(CheckpointRequest),
}

/// Re-exported so surfaces need only this module.
pub use crate::model::Observation;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Hello {
    pub version: u32,
    /// Free-form client name (`cli 0.1.0`, `hook`, ...), for logs.
    pub client: String,
}

/// Which session a command applies to; `None` means "the one that needs it" (most recent stopped).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// [`Request::Forget`]: which session (full id, `assistant:id` or unique prefix; never implied).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ForgetRequest {
    pub session: String,
    /// Cancel a pending or running resume first instead of refusing.
    #[serde(default)]
    pub force: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HookForward {
    pub assistant: Assistant,
    pub payload: serde_json::Value,
}

/// What a `palingenesis run` wrapper tells the daemon about itself and the agent it runs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WrapperRegistration {
    /// Unique while the wrapper runs; also its socket's file name.
    pub id: String,
    pub wrapper_pid: u32,
    /// The agent process the wrapper started, named by pid and start time.
    pub agent: crate::procfs::ProcId,
    /// The agent's working directory.
    pub cwd: PathBuf,
    /// The wrapper's Unix socket (mode 0600), where it takes text to type into the agent's terminal.
    pub socket: PathBuf,
    /// The agent's command line.
    pub command: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WrapperId {
    pub id: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "response", rename_all = "snake_case")]
pub enum Response {
    Hello(HelloReply),
    Status(StatusReport),
    Health(HealthReport),
    Sessions(SessionList),
    Preview(SessionList),
    AgentSession(Box<AgentSessionReport>),
    /// The command was carried out; `message` says what happened, for humans.
    Done(Done),
    /// A hook's answer: the agent should go on with this instruction instead of ending its turn (the early
    /// checkpoint request).
    Continue(ContinueTurn),
    Error(ErrorReply),
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HelloReply {
    pub version: u32,
    pub daemon_version: String,
    pub pid: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Done {
    pub message: String,
}

/// [`Response::Continue`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ContinueTurn {
    pub instruction: String,
}

/// The field `palingenesis hook` adds to a forwarded payload: the session's context use as the assistant's
/// records show it when the hook ran (a [`crate::model::ContextUse`]).
pub const HOOK_CONTEXT_USE_FIELD: &str = "palingenesis_context_use";

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    HandshakeRequired,
    VersionMismatch,
    FrameTooLarge,
    NotFound,
    InvalidConfig,
    Internal,
    /// HTTP: missing or wrong bearer token.
    Unauthorized,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ErrorReply {
    pub code: ErrorCode,
    pub message: String,
}

/// Whether the daemon acts on its own.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DaemonMode {
    Monitoring,
    Paused,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StatusReport {
    pub mode: DaemonMode,
    pub pid: u32,
    pub version: String,
    pub started_at: DateTime<Utc>,
    pub config_file: PathBuf,
    pub state_dir: PathBuf,
    /// Assistants being watched, with where.
    pub watching: Vec<WatchInfo>,
    pub sessions_total: usize,
    pub sessions_waiting: usize,
    /// The next deadline the daemon will act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action_at: Option<DateTime<Utc>>,
    /// What palingenesis got done: stops, saves, agent time recovered (filled in by the daemon's surfaces
    /// from the audit trail; see [`crate::saves`]).
    #[serde(default)]
    pub saves: crate::saves::SavesReport,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WatchInfo {
    pub assistant: Assistant,
    pub source: String,
    pub location: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HealthReport {
    pub ok: bool,
    pub checks: Vec<HealthCheck>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HealthCheck {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

/// One tracked session as control surfaces show it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SessionInfo {
    pub key: SessionKey,
    pub state: SessionStateView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_stop: Option<StopReason>,
    /// What the daemon plans next, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action: Option<PlannedActionView>,
    /// How a resume would reach the session: headless, pty, tmux, api, needs_attention.
    pub reach: String,
    pub resumes_last_hour: u32,
    pub locator: Locator,
    pub updated_at: DateTime<Utc>,
    /// How full its context window is, as its latest records said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<crate::model::ContextUse>,
    /// How much of its account's most used usage window is spent, as its latest records said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<crate::model::QuotaUse>,
    /// Quiet for `[daemon] park_after_secs`: kept on disk, not in the daemon's memory, until it is
    /// concerned again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parked: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PlannedActionView {
    pub action: String,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// Flat label of a session's state (the engine's richer state lives in the engine).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SessionStateView {
    Running,
    Stopped,
    Waiting,
    /// The assistant continues by itself (its own auto-continue); palingenesis waits.
    SelfContinuing,
    Resuming,
    /// The work continues in another assistant's session (`[fallback]`).
    HandedOff,
    Failed,
    Done,
}

impl SessionStateView {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStateView::Running => "running",
            SessionStateView::Stopped => "stopped",
            SessionStateView::Waiting => "waiting",
            SessionStateView::SelfContinuing => "self_continuing",
            SessionStateView::Resuming => "resuming",
            SessionStateView::HandedOff => "handed_off",
            SessionStateView::Failed => "failed",
            SessionStateView::Done => "done",
        }
    }
}

impl Response {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Response {
        Response::Error(ErrorReply {
            code,
            message: message.into(),
        })
    }
    pub fn done(message: impl Into<String>) -> Response {
        Response::Done(Done {
            message: message.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_tagged_json() {
        let r = Request::Skip(Target {
            session: Some("abc".into()),
        });
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"request":"skip","session":"abc"}"#);
        assert_eq!(serde_json::from_str::<Request>(&s).unwrap(), r);
        let s = serde_json::to_string(&Request::Status).unwrap();
        assert_eq!(s, r#"{"request":"status"}"#);
    }
}

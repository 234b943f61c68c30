//! What an agent asks about itself (the MCP tools `session_status`, `quota_status` and `checkpoint`): which
//! session is "me", what limit binds it, and its checkpoint.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{PlannedActionView, SessionInfo};
use crate::model::Assistant;

/// How the daemon finds the session of the agent asking: the first of these that names a tracked session
/// wins, in this order: `session` (an id the client gave its MCP server), `ancestors` (the MCP server's
/// parent processes: the agent launched it), `cwd` (the most recently active session in that directory).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct AgentContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
}

/// The answer to [`super::Request::AgentSession`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AgentSessionReport {
    /// The session found for the asking agent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionInfo>,
    /// How it was found: `session_id`, `process`, `cwd`; absent when none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
    /// The assistant the quota is about (the session's, when one was found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant: Option<Assistant>,
    /// The binding limit known for that assistant, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitView>,
    /// What palingenesis does when the session stops on that limit (or its pending plan), and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlannedActionView>,
    /// The project directory a checkpoint is written to, and the next-step file there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step_file: Option<PathBuf>,
}

/// A usage limit palingenesis has seen for an assistant.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LimitView {
    /// The stop's label (`usage_limit`).
    pub kind: String,
    /// `five_hour`, `weekly`, … when the assistant said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<DateTime<Utc>>,
    /// When it was hit, and by which session.
    pub seen_at: DateTime<Utc>,
    pub seen_in: String,
}

/// An agent's checkpoint ([`super::Request::Checkpoint`]): the project's next-step file is replaced by
/// `next_step`; a workflow file with `stepsCompleted` frontmatter gets `steps_completed` added.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct CheckpointRequest {
    #[serde(flatten)]
    pub context: AgentContext,
    /// The whole new content of the next-step file (markdown).
    pub next_step: String,
    /// Steps finished since the last checkpoint, added to a workflow file's `stepsCompleted`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps_completed: Vec<String>,
}

impl AgentSessionReport {
    /// A few lines for a person or an agent: which session, the binding limit, what happens and when.
    pub fn summary(&self) -> String {
        let mut out = match (&self.session, &self.matched_by) {
            (Some(s), Some(by)) => format!(
                "session {} ({}, found by {by}): {}",
                s.key,
                s.key.assistant,
                s.state.as_str()
            ),
            _ => "no tracked session matches this agent yet".to_string(),
        };
        match &self.limit {
            Some(l) => {
                out.push_str(&format!("\nlimit: {}", l.kind));
                if let Some(w) = &l.window {
                    out.push_str(&format!(" ({w})"));
                }
                match l.resets_at {
                    Some(at) => out.push_str(&format!(", resets at {}", at.to_rfc3339())),
                    None => out.push_str(", reset time unknown"),
                }
                out.push_str(&format!(
                    "; hit at {} by {}",
                    l.seen_at.to_rfc3339(),
                    l.seen_in
                ));
            }
            None => out.push_str("\nlimit: none known"),
        }
        if let Some(p) = &self.plan {
            out.push_str(&format!(
                "\npalingenesis: {} at {} ({})",
                p.action,
                p.at.to_rfc3339(),
                p.reason
            ));
        }
        if let Some(f) = &self.next_step_file {
            out.push_str(&format!("\ncheckpoint file: {}", f.display()));
        }
        out
    }
}

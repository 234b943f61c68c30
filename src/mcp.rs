//! The MCP server (`palingenesis mcp`, stdio): the control protocol as MCP tools, so an agent (or any MCP
//! client) can ask what palingenesis is doing and steer it. Each tool sends one [`Request`] over the daemon's
//! socket; nothing here touches state. Three tools are for the agent itself: `session_status` and
//! `quota_status` (its own session, the limit that binds it, what palingenesis will do) and `checkpoint` (its
//! next-step file, written by the daemon); "itself" is found from this process's context (`mcp::context`, see docs/mcp.md).

mod context;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Content, Implementation, ServerCapabilities, ServerInfo};
use rmcp::{
    ErrorData as McpError, ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router,
};
use serde::Deserialize;

use crate::audit::{AuditQuery, EventType};
use crate::ipc::client::request_once;
use crate::paths::Paths;
use crate::protocol::{
    AgentSessionReport, CheckpointRequest, ForgetRequest, Request, Response, Target,
};

#[derive(Clone)]
pub struct McpServer {
    paths: Paths,
}

/// Which session a tool acts on.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct SessionArg {
    /// Session id, a unique prefix of it, or `assistant:id`. Omit for the most recent session that needs action.
    #[serde(default)]
    pub session: Option<String>,
}

/// Which session to forget.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ForgetArg {
    /// Session id, a unique prefix of it, or `assistant:id`.
    pub session: String,
    /// Cancel a pending or running resume first instead of refusing.
    #[serde(default)]
    pub force: bool,
}

/// Which audit events to return.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct EventsArg {
    /// Only this event type, e.g. `StopDetected`, `ResumeCompleted`, `NeedsAttention`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Only this session.
    #[serde(default)]
    pub session: Option<String>,
    /// At most this many of the most recent events (default 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// An agent's checkpoint.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct CheckpointArg {
    /// The whole new content of the project's next-step file (markdown): what is done, what is next and how,
    /// specific enough that a fresh session with no memory of this one can carry on.
    pub next_step: String,
    /// Steps finished since the last checkpoint, added to the workflow file's `stepsCompleted` frontmatter
    /// (only when the project has such a file).
    #[serde(default)]
    pub steps_completed: Vec<String>,
}

fn text(result: String, is_error: bool) -> CallToolResult {
    if is_error {
        CallToolResult::error(vec![Content::text(result)])
    } else {
        CallToolResult::success(vec![Content::text(result)])
    }
}

#[tool_router]
impl McpServer {
    pub fn new(paths: Paths) -> Self {
        McpServer { paths }
    }

    async fn send(&self, req: Request) -> Result<CallToolResult, McpError> {
        Ok(match request_once(&self.paths.socket(), &req).await {
            Ok(Response::Error(e)) => text(e.message, true),
            Ok(Response::Done(d)) => text(d.message, false),
            Ok(other) => text(
                serde_json::to_string_pretty(&other).unwrap_or_default(),
                false,
            ),
            Err(e) => text(e.to_string(), true),
        })
    }

    #[tool(
        description = "What the palingenesis daemon is doing: mode (monitoring/paused), watched assistants, sessions waiting, next action."
    )]
    async fn status(&self) -> Result<CallToolResult, McpError> {
        self.send(Request::Status).await
    }

    #[tool(
        description = "Tracked agent sessions with their state, last stop reason and planned next action."
    )]
    async fn sessions(&self) -> Result<CallToolResult, McpError> {
        self.send(Request::Sessions).await
    }

    #[tool(description = "What the daemon would do next for every session, without doing it.")]
    async fn preview(&self) -> Result<CallToolResult, McpError> {
        self.send(Request::Preview).await
    }

    #[tool(description = "Health checks of the daemon and its watchers.")]
    async fn health(&self) -> Result<CallToolResult, McpError> {
        self.send(Request::Health).await
    }

    #[tool(description = "Stop automatic resumes (sessions are still watched). Survives restarts.")]
    async fn pause(&self) -> Result<CallToolResult, McpError> {
        self.send(Request::Pause).await
    }

    #[tool(description = "Re-enable automatic resumes after `pause`.")]
    async fn resume(&self) -> Result<CallToolResult, McpError> {
        self.send(Request::Resume).await
    }

    #[tool(
        description = "Act now on a session's pending plan instead of waiting for its deadline."
    )]
    async fn skip(
        &self,
        Parameters(arg): Parameters<SessionArg>,
    ) -> Result<CallToolResult, McpError> {
        self.send(Request::Skip(Target {
            session: arg.session,
        }))
        .await
    }

    #[tool(
        description = "Cancel a session's pending action and leave it alone until it makes progress again."
    )]
    async fn abort(
        &self,
        Parameters(arg): Parameters<SessionArg>,
    ) -> Result<CallToolResult, McpError> {
        self.send(Request::Abort(Target {
            session: arg.session,
        }))
        .await
    }

    #[tool(
        description = "Stop tracking a session (refused while a resume is pending unless force is set)."
    )]
    async fn forget_session(
        &self,
        Parameters(arg): Parameters<ForgetArg>,
    ) -> Result<CallToolResult, McpError> {
        self.send(Request::Forget(ForgetRequest {
            session: arg.session,
            force: arg.force,
        }))
        .await
    }

    #[tool(
        description = "Back up a session and start a new one seeded from the project's Next-step.md, now."
    )]
    async fn new_session(
        &self,
        Parameters(arg): Parameters<SessionArg>,
    ) -> Result<CallToolResult, McpError> {
        self.send(Request::NewSession(Target {
            session: arg.session,
        }))
        .await
    }

    async fn agent_session(&self) -> Result<AgentSessionReport, CallToolResult> {
        match request_once(
            &self.paths.socket(),
            &Request::AgentSession(context::current()),
        )
        .await
        {
            Ok(Response::AgentSession(r)) => Ok(*r),
            Ok(Response::Error(e)) => Err(text(e.message, true)),
            Ok(other) => Err(text(format!("unexpected reply: {other:?}"), true)),
            Err(e) => Err(text(e.to_string(), true)),
        }
    }

    #[tool(
        description = "This agent's own session as palingenesis sees it: its state, last stop, the limit that binds it, what palingenesis will do next and when, and where a checkpoint goes."
    )]
    async fn session_status(&self) -> Result<CallToolResult, McpError> {
        Ok(match self.agent_session().await {
            Ok(r) => text(
                format!(
                    "{}\n\n{}",
                    r.summary(),
                    serde_json::to_string_pretty(&r).unwrap_or_default()
                ),
                false,
            ),
            Err(e) => e,
        })
    }

    #[tool(
        description = "The usage limit known for this agent's assistant/account: when it resets, and what palingenesis will do if this session stops on it (resume at which instant)."
    )]
    async fn quota_status(&self) -> Result<CallToolResult, McpError> {
        Ok(match self.agent_session().await {
            Ok(r) => {
                let quota = serde_json::json!({
                    "assistant": r.assistant,
                    "limit": r.limit,
                    "plan": r.plan,
                });
                text(
                    format!(
                        "{}\n\n{}",
                        r.summary(),
                        serde_json::to_string_pretty(&quota).unwrap_or_default()
                    ),
                    false,
                )
            }
            Err(e) => e,
        })
    }

    #[tool(
        description = "Save a checkpoint before the context window or usage limit ends this session: replaces the project's Next-step.md (a backup of the old one is kept) and records finished steps in a workflow file's stepsCompleted. The next session after an exhausted context starts from it."
    )]
    async fn checkpoint(
        &self,
        Parameters(arg): Parameters<CheckpointArg>,
    ) -> Result<CallToolResult, McpError> {
        self.send(Request::Checkpoint(CheckpointRequest {
            context: context::current(),
            next_step: arg.next_step,
            steps_completed: arg.steps_completed,
        }))
        .await
    }

    #[tool(
        description = "Recent entries of the audit trail (every detection, decision and resume), newest last."
    )]
    async fn events(
        &self,
        Parameters(arg): Parameters<EventsArg>,
    ) -> Result<CallToolResult, McpError> {
        let types = match arg
            .kind
            .as_deref()
            .map(|k| serde_json::from_value::<EventType>(k.into()))
        {
            None => Vec::new(),
            Some(Ok(t)) if t != EventType::Unknown => vec![t],
            Some(_) => {
                return Ok(text(
                    format!("unknown event type `{}`", arg.kind.unwrap_or_default()),
                    true,
                ));
            }
        };
        let query = AuditQuery {
            types,
            session: arg.session,
            limit: Some(arg.limit.unwrap_or(50)),
            ..Default::default()
        };
        let path = self.paths.audit_file();
        let result = crate::tasks::spawn_blocking(move || crate::audit::query(&path, &query)).await;
        Ok(match result {
            Ok(Ok(r)) => text(
                r.events
                    .iter()
                    .map(|e| serde_json::to_string(e).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("\n"),
                false,
            ),
            Ok(Err(e)) => text(e.to_string(), true),
            Err(e) => text(e.to_string(), true),
        })
    }
}

#[tool_handler]
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerInfo {
        ServerInfo::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("palingenesis", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "palingenesis resumes AI coding agent sessions that stopped on rate/usage limits, full context \
                 windows or errors. Use `sessions` and `events` to see what happened, `pause`/`resume`/`skip`/\
                 `abort`/`new_session` to steer it. An agent asks about itself with `session_status` and \
                 `quota_status`, and saves where it is with `checkpoint` before its context fills up.",
            )
    }
}

/// Serve MCP on stdin/stdout until the client disconnects.
pub async fn serve_stdio(paths: Paths) -> anyhow::Result<()> {
    let service = McpServer::new(paths)
        .serve(rmcp::transport::stdio())
        .await?;
    service.waiting().await?;
    Ok(())
}

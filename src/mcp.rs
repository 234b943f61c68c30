//! The MCP server (`palingenesis mcp`, stdio): the control protocol as MCP tools, so an agent (or any MCP
//! client) can ask what palingenesis is doing and steer it. Each tool sends one [`Request`] over the daemon's
//! socket; nothing here touches state.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Content, Implementation, ServerCapabilities, ServerInfo};
use rmcp::{
    ErrorData as McpError, ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router,
};
use serde::Deserialize;

use crate::audit::{AuditQuery, EventType};
use crate::ipc::client::request_once;
use crate::paths::Paths;
use crate::protocol::{Request, Response, Target};

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
        let result = tokio::task::spawn_blocking(move || crate::audit::query(&path, &query)).await;
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
                 `abort`/`new_session` to steer it.",
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

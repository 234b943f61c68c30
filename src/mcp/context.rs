//! "This session": what the MCP server process knows about the agent that launched it. Observed (docs/mcp.md):
//! every client starts its MCP servers in the project directory with itself as the parent process; Claude Code
//! and Qwen Code also name the session in an environment variable (each adapter lists its own).

use crate::protocol::AgentContext;

/// The context of this process: session id from the environment, its ancestors, its working directory.
pub fn current() -> AgentContext {
    let session = crate::assistants::all()
        .iter()
        .flat_map(|a| a.mcp_session_env())
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()));
    let ancestors = crate::procfs::lineage(std::process::id())
        .into_iter()
        .skip(1)
        .map(|s| s.pid)
        .collect();
    AgentContext {
        session,
        ancestors,
        cwd: std::env::current_dir().ok(),
    }
}

//! Registering palingenesis's MCP server with Claude Code: user scope, `mcpServers` in `~/.claude.json` (what
//! `claude mcp add --scope user` writes, with `"type": "stdio"`; `$CLAUDE_CONFIG_DIR/.claude.json` when that
//! is set).

use std::path::PathBuf;

use crate::adapter::McpServersJson;

pub static MCP: McpServersJson = McpServersJson {
    path: settings,
    typed: true,
};

fn settings() -> PathBuf {
    match std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join(".claude.json"),
        None => crate::paths::user_home().join(".claude.json"),
    }
}

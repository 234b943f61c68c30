//! Registering palingenesis's MCP server with Claude Code: user scope, `mcpServers` in `~/.claude.json` (what
//! `claude mcp add --scope user` writes; `$CLAUDE_CONFIG_DIR/.claude.json` when that is set).

use std::path::PathBuf;

use serde_json::json;

use crate::adapter::{BoxError, McpChange, McpInstaller, McpServerSpec, mcp};

pub struct Mcp;

impl McpInstaller for Mcp {
    fn config_path(&self) -> PathBuf {
        match std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir).join(".claude.json"),
            None => crate::paths::user_home().join(".claude.json"),
        }
    }

    fn install(&self, server: &McpServerSpec) -> Result<McpChange, BoxError> {
        let mut entry = server.stdio_entry();
        entry["type"] = json!("stdio");
        Ok(mcp::install_json(
            &self.config_path(),
            &["mcpServers"],
            entry,
        )?)
    }

    fn uninstall(&self) -> Result<McpChange, BoxError> {
        Ok(mcp::uninstall_json(&self.config_path(), &["mcpServers"])?)
    }
}

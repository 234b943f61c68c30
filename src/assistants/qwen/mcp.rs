//! Registering palingenesis's MCP server with Qwen Code: `mcpServers` in its user `settings.json`.

use std::path::PathBuf;

use crate::adapter::{BoxError, McpChange, McpInstaller, McpServerSpec, mcp};

pub struct Mcp;

impl McpInstaller for Mcp {
    fn config_path(&self) -> PathBuf {
        super::config::qwen_home(&Default::default()).join("settings.json")
    }

    fn install(&self, server: &McpServerSpec) -> Result<McpChange, BoxError> {
        let entry = server.stdio_entry();
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

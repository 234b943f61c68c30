//! Registering palingenesis's MCP server with Gemini CLI: `mcpServers` in its user `settings.json`
//! (`<home>/.gemini/settings.json`, `home` from `$GEMINI_CLI_HOME` else the user's), where
//! `gemini mcp add -s user` writes it.

use std::path::PathBuf;

use crate::adapter::{BoxError, McpChange, McpInstaller, McpServerSpec, mcp};

pub struct Mcp;

impl McpInstaller for Mcp {
    fn config_path(&self) -> PathBuf {
        super::config::gemini_dir(&Default::default()).join("settings.json")
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

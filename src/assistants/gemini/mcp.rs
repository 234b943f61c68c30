//! Registering palingenesis's MCP server with Gemini CLI: `mcpServers` in its user `settings.json`
//! (`<home>/.gemini/settings.json`, `home` from `$GEMINI_CLI_HOME` else the user's), where
//! `gemini mcp add -s user` writes it.

use std::path::PathBuf;

use crate::adapter::McpServersJson;

pub static MCP: McpServersJson = McpServersJson {
    path: settings,
    typed: false,
};

fn settings() -> PathBuf {
    super::config::gemini_dir(&Default::default()).join("settings.json")
}

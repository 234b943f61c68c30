//! Registering palingenesis's MCP server with Qwen Code: `mcpServers` in its user `settings.json`.

use std::path::PathBuf;

use crate::adapter::McpServersJson;

pub static MCP: McpServersJson = McpServersJson {
    path: settings,
    typed: false,
};

fn settings() -> PathBuf {
    super::config::qwen_home(&Default::default()).join("settings.json")
}

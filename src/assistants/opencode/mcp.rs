//! Registering palingenesis's MCP server with opencode: `mcp.palingenesis` with `type: "local"` in its global
//! config, `$XDG_CONFIG_HOME/opencode/opencode.json` (or the `.jsonc` beside it when only that exists; one with
//! comments cannot be parsed and is refused, never rewritten).

use std::path::PathBuf;

use serde_json::json;

use crate::adapter::{BoxError, Installed, McpChange, McpInstaller, McpServerSpec, mcp};

pub struct Mcp;

impl McpInstaller for Mcp {
    fn config_path(&self) -> PathBuf {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::paths::user_home().join(".config"));
        let dir = base.join("opencode");
        let json = dir.join("opencode.json");
        let jsonc = dir.join("opencode.jsonc");
        if !json.exists() && jsonc.exists() {
            jsonc
        } else {
            json
        }
    }

    fn install(&self, server: &McpServerSpec) -> Result<McpChange, BoxError> {
        Ok(mcp::install_json(
            &self.config_path(),
            &["mcp"],
            entry(server),
        )?)
    }

    fn uninstall(&self) -> Result<McpChange, BoxError> {
        Ok(mcp::uninstall_json(&self.config_path(), &["mcp"])?)
    }

    fn installed(&self, server: &McpServerSpec) -> Result<Installed, BoxError> {
        let path = self.config_path();
        Ok(mcp::installed_json(&path, &["mcp"], &entry(server))?)
    }
}

/// Its `mcp.palingenesis` entry: a local command with its environment.
fn entry(server: &McpServerSpec) -> serde_json::Value {
    let mut command = vec![server.command_str()];
    command.extend(server.args.iter().cloned());
    json!({
        "type": "local",
        "command": command,
        "enabled": true,
        "environment": server.env_json(),
    })
}

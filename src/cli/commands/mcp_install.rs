//! `palingenesis mcp install|uninstall|status [<assistant>]`: register the MCP server (`palingenesis mcp`) with
//! an assistant so its agents can call `session_status`, `quota_status` and `checkpoint`.

use crate::cli::args::McpCmd;
use crate::cli::{exit, render};

use super::installers;

pub fn run(cmd: McpCmd) -> anyhow::Result<u8> {
    let (assistant, install, json) = match cmd {
        McpCmd::Install { assistant, json } => (assistant, true, json),
        McpCmd::Uninstall { assistant, json } => (assistant, false, json),
        McpCmd::Status(a) => {
            return installers::status_command(a.assistant, a.json, "mcp", installers::mcp_status);
        }
    };
    let change = installers::change_mcp(assistant, install)?;
    if json {
        render::json(&change)?;
    } else {
        super::hooks::print_change(&change, "the palingenesis MCP server");
    }
    Ok(exit::OK)
}

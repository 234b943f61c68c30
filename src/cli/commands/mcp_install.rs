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
            let exe = installers::exe()?;
            let statuses: Vec<_> = installers::chosen(a.assistant)
                .filter_map(|ad| installers::mcp_status(ad, &exe))
                .collect();
            if statuses.is_empty() {
                let which = a.assistant.map(|a| a.to_string()).unwrap_or_default();
                anyhow::bail!(
                    "palingenesis does not know how to register an MCP server with {which}"
                );
            }
            return installers::print_statuses(&statuses, "mcp", a.json);
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

//! `palingenesis mcp install|uninstall <assistant>`: register the MCP server (`palingenesis mcp`) with an
//! assistant so its agents can call `session_status`, `quota_status` and `checkpoint`.

use anyhow::{Context, anyhow};

use crate::adapter::{McpChange, McpServerSpec};
use crate::cli::args::McpCmd;
use crate::cli::exit;

pub fn run(cmd: McpCmd) -> anyhow::Result<u8> {
    let (assistant, install) = match cmd {
        McpCmd::Install { assistant } => (assistant, true),
        McpCmd::Uninstall { assistant } => (assistant, false),
    };
    let Some(mcp) = crate::assistants::get(assistant).and_then(|a| a.mcp()) else {
        return Err(anyhow!(
            "palingenesis does not know how to register an MCP server with {assistant}"
        ));
    };
    let path = mcp.config_path();
    let change = if install {
        let exe = std::env::current_exe().context("locating the palingenesis executable")?;
        // The server must reach the daemon this command would: carry a relocated home along.
        let env = std::env::var(crate::paths::HOME_ENV)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| (crate::paths::HOME_ENV.to_string(), v))
            .into_iter()
            .collect();
        mcp.install(&McpServerSpec {
            command: exe,
            args: vec!["mcp".into()],
            env,
        })
    } else {
        mcp.uninstall()
    }
    .map_err(|e| anyhow!("{e}"))?;
    let where_ = path.display();
    match (install, change) {
        (true, McpChange::Unchanged) => println!("already installed in {where_}"),
        (false, McpChange::Unchanged) => println!("not installed in {where_}"),
        (true, McpChange::Changed { backup }) => {
            println!("installed the palingenesis MCP server for {assistant} in {where_}");
            if let Some(b) = backup {
                println!("previous file kept at {}", b.display());
            }
        }
        (false, McpChange::Changed { backup }) => {
            println!("removed the palingenesis MCP server from {where_}");
            if let Some(b) = backup {
                println!("previous file kept at {}", b.display());
            }
        }
    }
    Ok(exit::OK)
}

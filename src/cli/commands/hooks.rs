//! `palingenesis hooks install|uninstall <assistant>`: for assistants that have hooks palingenesis uses.

use anyhow::{Context, anyhow};

use crate::adapter::HookChange;
use crate::cli::args::HooksCmd;
use crate::cli::{exit, render};

pub fn run(cmd: HooksCmd) -> anyhow::Result<u8> {
    let (assistant, install, json) = match cmd {
        HooksCmd::Install { assistant, json } => (assistant, true, json),
        HooksCmd::Uninstall { assistant, json } => (assistant, false, json),
    };
    let Some(hooks) = crate::assistants::get(assistant).and_then(|a| a.hooks()) else {
        return Err(anyhow!(
            "{assistant} has no hook mechanism palingenesis uses; it is watched through its files and API instead"
        ));
    };
    let path = hooks.settings_path();
    let change = if install {
        let exe = std::env::current_exe().context("locating the palingenesis executable")?;
        hooks.install(&hooks.command_for(&exe))
    } else {
        hooks.uninstall()
    }
    .map_err(|e| anyhow!("{e}"))?;
    let backup = match &change {
        HookChange::Written { backup } => backup.clone(),
        HookChange::Unchanged => None,
    };
    if json {
        render::json(&serde_json::json!({
            "assistant": assistant,
            "settings": path,
            "installed": install,
            "changed": change != HookChange::Unchanged,
            "backup": backup,
        }))?;
        return Ok(exit::OK);
    }
    let shown = path.display();
    match (install, &change) {
        (true, HookChange::Unchanged) => {
            println!("palingenesis hooks already installed in {shown}; nothing changed")
        }
        (false, HookChange::Unchanged) => {
            println!("palingenesis hooks are not installed in {shown}; nothing changed")
        }
        (true, HookChange::Written { .. }) => println!("installed palingenesis hooks in {shown}"),
        (false, HookChange::Written { .. }) => {
            println!("removed palingenesis hooks from {shown}")
        }
    }
    if let Some(b) = backup {
        println!("previous settings kept at {}", b.display());
    }
    Ok(exit::OK)
}

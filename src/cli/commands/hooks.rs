//! `palingenesis hooks install|uninstall <assistant>`: for assistants that have hooks palingenesis uses.

use anyhow::{Context, anyhow};

use crate::cli::args::HooksCmd;
use crate::cli::exit;

pub fn run(cmd: HooksCmd) -> anyhow::Result<u8> {
    let (assistant, install) = match cmd {
        HooksCmd::Install { assistant } => (assistant, true),
        HooksCmd::Uninstall { assistant } => (assistant, false),
    };
    let Some(hooks) = crate::assistants::get(assistant).and_then(|a| a.hooks()) else {
        return Err(anyhow!(
            "{assistant} has no hook mechanism palingenesis uses; it is watched through its files and API instead"
        ));
    };
    let path = hooks.settings_path();
    let backup = if install {
        let exe = std::env::current_exe().context("locating the palingenesis executable")?;
        hooks.install(&hooks.command_for(&exe))
    } else {
        hooks.uninstall()
    }
    .map_err(|e| anyhow!("{e}"))?;
    println!(
        "{} palingenesis hooks {} {}",
        if install { "installed" } else { "removed" },
        if install { "in" } else { "from" },
        path.display()
    );
    if let Some(b) = backup {
        println!("previous settings kept at {}", b.display());
    }
    Ok(exit::OK)
}

//! `palingenesis hooks install|uninstall claude`.

use anyhow::{Context, bail};

use crate::claude_hooks;
use crate::cli::args::HooksCmd;
use crate::cli::exit;
use crate::model::Assistant;

pub fn run(cmd: HooksCmd) -> anyhow::Result<u8> {
    let (assistant, install) = match cmd {
        HooksCmd::Install { assistant } => (assistant, true),
        HooksCmd::Uninstall { assistant } => (assistant, false),
    };
    if assistant != Assistant::Claude {
        bail!(
            "{assistant} has no hook mechanism palingenesis uses; it is watched through its files and API instead"
        );
    }
    let path = claude_hooks::settings_path();
    let backup = if install {
        let exe = std::env::current_exe().context("locating the palingenesis executable")?;
        let command = claude_hooks::hook_command(&exe);
        claude_hooks::update_file(&path, |v| claude_hooks::with_hooks(v, &command))?
    } else {
        claude_hooks::update_file(&path, claude_hooks::without_hooks)?
    };
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

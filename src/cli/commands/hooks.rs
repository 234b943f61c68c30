//! `palingenesis hooks install|uninstall|status [<assistant>]`: for assistants that have hooks palingenesis uses.

use crate::cli::args::HooksCmd;
use crate::cli::{exit, render};

use super::installers::{self, Change};

pub fn run(cmd: HooksCmd) -> anyhow::Result<u8> {
    let (assistant, install, json) = match cmd {
        HooksCmd::Install { assistant, json } => (assistant, true, json),
        HooksCmd::Uninstall { assistant, json } => (assistant, false, json),
        HooksCmd::Status(a) => {
            return installers::status_command(
                a.assistant,
                a.json,
                "hooks",
                installers::hooks_status,
            );
        }
    };
    let change = installers::change_hooks(assistant, install)?;
    if json {
        render::json(&change)?;
        return Ok(exit::OK);
    }
    print_change(&change, "palingenesis hooks");
    Ok(exit::OK)
}

/// One line for what an install or uninstall did (and where the previous file is kept).
pub(super) fn print_change(c: &Change, what: &str) {
    let shown = c.file.display();
    match (c.installed, c.changed) {
        (true, false) => println!("{what} already installed in {shown}; nothing changed"),
        (false, false) => println!("{what} not installed in {shown}; nothing changed"),
        (true, true) => println!("installed {what} in {shown}"),
        (false, true) => println!("removed {what} from {shown}"),
    }
    if let Some(b) = &c.backup {
        println!("previous file kept at {}", b.display());
    }
}

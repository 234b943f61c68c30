//! `palingenesis hooks install|uninstall|status [<assistant>]`: for assistants that have hooks palingenesis uses.

use crate::cli::args::HooksCmd;
use crate::cli::{exit, render};

use super::installers::{self, Change};

pub fn run(cmd: HooksCmd) -> anyhow::Result<u8> {
    let (assistant, install, json) = match cmd {
        HooksCmd::Install { assistant, json } => (assistant, true, json),
        HooksCmd::Uninstall { assistant, json } => (assistant, false, json),
        HooksCmd::Status(a) => {
            let exe = installers::exe()?;
            let statuses: Vec<_> = installers::chosen(a.assistant)
                .filter_map(|ad| installers::hooks_status(ad, &exe))
                .collect();
            if statuses.is_empty() {
                let which = a.assistant.map(|a| a.to_string()).unwrap_or_default();
                anyhow::bail!("{which} has no hook mechanism palingenesis uses");
            }
            return installers::print_statuses(&statuses, "hooks", a.json);
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

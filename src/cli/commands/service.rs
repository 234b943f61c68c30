//! `palingenesis service install|uninstall|print`.

use anyhow::Context;

use crate::cli::args::ServiceCmd;
use crate::cli::exit;
use crate::paths::Paths;
use crate::service::{self, ServiceKind};

pub fn run(cmd: ServiceCmd, paths: &Paths) -> anyhow::Result<u8> {
    let exe = std::env::current_exe().context("locating the palingenesis executable")?;
    let home = crate::claude_hooks::home();
    let kind = ServiceKind::detect();
    match cmd {
        ServiceCmd::Print => {
            match kind {
                ServiceKind::Systemd => print!("{}", service::systemd_unit(&exe)),
                ServiceKind::Launchd => print!("{}", service::launchd_plist(&exe, &paths.log_dir())),
            }
            Ok(exit::OK)
        }
        ServiceCmd::Install => {
            let report = service::install(kind, &exe, &home, &paths.log_dir())?;
            println!("wrote {}\nnext: {}", report.path.display(), report.next_step);
            Ok(exit::OK)
        }
        ServiceCmd::Uninstall => {
            let removed = service::uninstall(kind, &home)?;
            println!("{}", removed.map_or("no service file installed".to_string(), |p| format!("removed {}", p.display())));
            Ok(exit::OK)
        }
    }
}

//! `palingenesis service install|uninstall|print`.

use anyhow::Context;

use crate::cli::args::ServiceCmd;
use crate::cli::exit;
use crate::paths::Paths;
use crate::service::{self, ServiceKind};

pub fn run(cmd: ServiceCmd, paths: &Paths) -> anyhow::Result<u8> {
    let exe = std::env::current_exe().context("locating the palingenesis executable")?;
    let home = crate::paths::user_home();
    let kind = ServiceKind::detect().ok_or_else(|| {
        anyhow::anyhow!("no supported service manager on this platform (systemd or launchd)")
    })?;
    match cmd {
        ServiceCmd::Print => {
            match kind {
                ServiceKind::Systemd => print!(
                    "{}",
                    service::systemd_unit(&exe, service::installing_search_path().as_deref())
                ),
                ServiceKind::Launchd => print!(
                    "{}",
                    service::launchd_plist(
                        &exe,
                        &paths.log_dir(),
                        service::installing_search_path().as_deref()
                    )
                ),
            }
            Ok(exit::OK)
        }
        ServiceCmd::Install => {
            let report = service::install(kind, &exe, &home, &paths.log_dir())?;
            println!(
                "{} {} ({:?})\nnext: {}",
                kind,
                report.path.display(),
                report.outcome,
                report.next_command
            );
            Ok(exit::OK)
        }
        ServiceCmd::Uninstall => {
            let report = service::uninstall(kind, &home)?;
            if report.removed.is_empty() {
                println!("no {kind} service file installed");
            }
            for p in &report.removed {
                println!("removed {}", p.display());
            }
            if let Some(next) = report.next_command {
                println!("next: {next}");
            }
            Ok(exit::OK)
        }
    }
}

//! `palingenesis service install|uninstall|status|print`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::adapter::Installed;
use crate::cli::args::ServiceCmd;
use crate::cli::{exit, render};
use crate::paths::Paths;
use crate::service::{self, ServiceKind, UserDirs, WriteOutcome};

pub fn run(cmd: ServiceCmd, paths: &Paths) -> anyhow::Result<u8> {
    let exe = super::installers::exe()?;
    let kind = kind()?;
    match cmd {
        ServiceCmd::Print => {
            print!("{}", content(kind, &exe, paths));
            Ok(exit::OK)
        }
        ServiceCmd::Install(f) => {
            let report = install(kind, &exe, paths)?;
            if f.json {
                render::json(&report)?;
            } else {
                println!(
                    "{} {} ({})\nnext: {}",
                    kind,
                    report.file.display(),
                    report.outcome,
                    report.next
                );
            }
            Ok(exit::OK)
        }
        ServiceCmd::Uninstall(f) => {
            let report = service::uninstall(kind, &crate::paths::user_home())?;
            if f.json {
                render::json(&serde_json::json!({
                    "kind": kind.as_str(),
                    "removed": report.removed,
                    "next": report.next_command,
                }))?;
                return Ok(exit::OK);
            }
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
        ServiceCmd::Status(f) => {
            let s = status(kind, &exe, paths);
            if f.json {
                render::json(&s)?;
            } else {
                let path = s.path.as_deref().unwrap_or("(service manager default)");
                match s.installed {
                    Installed::No => println!("{kind}: not installed ({})", s.file.display()),
                    Installed::Yes => println!("{kind}: installed at {}", s.file.display()),
                    Installed::Outdated => println!(
                        "{kind}: installed at {}, but for another executable or in an older layout \
                         (`palingenesis service install` rewrites it)",
                        s.file.display()
                    ),
                }
                if s.path_is_this_shells || s.installed == Installed::No {
                    println!("PATH: {path}");
                } else {
                    println!(
                        "PATH: {path}\n  (not this shell's PATH; `palingenesis service install` would give it this shell's)"
                    );
                }
            }
            Ok(exit::OK)
        }
    }
}

/// The service manager here, or why there is none.
pub(super) fn kind() -> anyhow::Result<ServiceKind> {
    ServiceKind::detect().ok_or_else(|| {
        anyhow::anyhow!("no supported service manager on this platform (systemd or launchd)")
    })
}

/// The service file `service install` writes now.
fn content(kind: ServiceKind, exe: &Path, paths: &Paths) -> String {
    content_with_path(kind, exe, paths, service::installing_search_path())
}

/// The service file for `exe` giving the daemon `search` as its PATH.
fn content_with_path(
    kind: ServiceKind,
    exe: &Path,
    paths: &Paths,
    search: Option<String>,
) -> String {
    match kind {
        ServiceKind::Systemd => service::systemd_unit(exe, search.as_deref()),
        ServiceKind::Launchd => service::launchd_plist(exe, &paths.log_dir(), search.as_deref()),
    }
}

/// What `service install` did: `{"kind", "file", "outcome": "created|updated|unchanged", "next"}`.
#[derive(Serialize, Debug)]
pub(super) struct InstallDone {
    pub kind: &'static str,
    pub file: PathBuf,
    pub outcome: &'static str,
    /// The shell command that loads and starts it.
    pub next: String,
}

pub(super) fn install(kind: ServiceKind, exe: &Path, paths: &Paths) -> anyhow::Result<InstallDone> {
    let report = service::install(kind, exe, &crate::paths::user_home(), &paths.log_dir())?;
    Ok(InstallDone {
        kind: kind.as_str(),
        file: report.path,
        outcome: match report.outcome {
            WriteOutcome::Created => "created",
            WriteOutcome::Updated => "updated",
            WriteOutcome::Unchanged => "unchanged",
        },
        next: report.next_command,
    })
}

/// `service status`: `{"kind", "file", "installed": "yes|outdated|no", "path", "path_is_this_shells"}`;
/// `path` is the PATH the service runs with (the installed file's, else the one `service install` would
/// write; null: the manager's default). `installed` is "yes" when the file runs this executable as
/// `service install` writes it, whatever its PATH: a PATH other than this shell's is told apart by
/// `path_is_this_shells` (the doctor checks whether it finds each assistant).
#[derive(Serialize, Debug)]
pub(super) struct Status {
    pub kind: &'static str,
    pub file: PathBuf,
    pub installed: Installed,
    pub path: Option<String>,
    pub path_is_this_shells: bool,
}

pub(super) fn status(kind: ServiceKind, exe: &Path, paths: &Paths) -> Status {
    let file = UserDirs::from_env(&crate::paths::user_home()).service_file(kind);
    let shell_path = service::installing_search_path();
    let (installed, path) = match std::fs::read_to_string(&file) {
        Ok(text) => {
            let path = service::search_path_in(&text);
            let same = text == content_with_path(kind, exe, paths, path.clone());
            let installed = if same {
                Installed::Yes
            } else {
                Installed::Outdated
            };
            (installed, path)
        }
        Err(_) => (Installed::No, shell_path.clone()),
    };
    Status {
        kind: kind.as_str(),
        file,
        installed,
        path_is_this_shells: path == shell_path,
        path,
    }
}

//! Running the daemon as a user service: a systemd user unit on Linux, a launchd agent on macOS.
//!
//! [`install`] writes the service file (atomically, and not at all when it is already up to date) and
//! returns the command the user runs next; it does not call `systemctl` or `launchctl` itself. [`uninstall`]
//! removes what `install` and enabling created. All I/O here is blocking.

mod render;
#[cfg(test)]
mod tests;

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

pub use self::render::{launchd_plist, search_path_in, systemd_unit};
use self::render::{shell_quote, xml_safe};

/// launchd label of the agent, also the plist's file stem.
pub const LAUNCHD_LABEL: &str = "dev.palingenesis.daemon";
/// File name of the systemd user unit.
pub const SYSTEMD_UNIT: &str = "palingenesis.service";

/// Which service manager to install for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    /// A systemd user unit (Linux).
    Systemd,
    /// A launchd user agent (macOS).
    Launchd,
}

impl ServiceKind {
    /// The service manager of the OS this binary was built for; `None` where neither applies.
    pub fn detect() -> Option<ServiceKind> {
        if cfg!(target_os = "macos") {
            Some(ServiceKind::Launchd)
        } else if cfg!(target_os = "linux") {
            Some(ServiceKind::Systemd)
        } else {
            None
        }
    }

    /// `systemd` or `launchd`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Systemd => "systemd",
            ServiceKind::Launchd => "launchd",
        }
    }
}

impl std::fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The directories service files are placed relative to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserDirs {
    /// The user's home directory.
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME`, used for systemd units when set to an absolute path.
    pub xdg_config_home: Option<PathBuf>,
}

impl UserDirs {
    /// `home`, with `XDG_CONFIG_HOME` taken from the environment.
    pub fn from_env(home: &Path) -> UserDirs {
        UserDirs {
            home: home.to_path_buf(),
            xdg_config_home: std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
        }
    }

    /// Where the service file of `kind` lives: `<config>/systemd/user/palingenesis.service` (config being
    /// `$XDG_CONFIG_HOME`, else `~/.config`) or `~/Library/LaunchAgents/dev.palingenesis.daemon.plist`.
    pub fn service_file(&self, kind: ServiceKind) -> PathBuf {
        match kind {
            ServiceKind::Systemd => self.systemd_dir().join(SYSTEMD_UNIT),
            ServiceKind::Launchd => self
                .home
                .join("Library/LaunchAgents")
                .join(format!("{LAUNCHD_LABEL}.plist")),
        }
    }

    fn systemd_dir(&self) -> PathBuf {
        // The XDG spec says a relative value is invalid and must be ignored.
        let config = match &self.xdg_config_home {
            Some(dir) if dir.is_absolute() => dir.clone(),
            _ => self.home.join(".config"),
        };
        config.join("systemd/user")
    }
}

/// What [`install`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallReport {
    /// The service file.
    pub path: PathBuf,
    /// Whether the file was created, replaced, or already up to date.
    pub outcome: WriteOutcome,
    /// The shell command that loads and starts the service.
    pub next_command: String,
}

/// How [`install`] left the service file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Updated,
    Unchanged,
}

/// What [`uninstall`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UninstallReport {
    /// Files removed: the service file, and systemd's enablement link if there was one.
    pub removed: Vec<PathBuf>,
    /// The shell command that stops the running service, when something was removed.
    pub next_command: Option<String>,
}

/// Why a service file could not be installed or removed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A path that the service manager needs absolute is relative.
    #[error("the {what} must be an absolute path, not {}", path.display())]
    NotAbsolute { what: &'static str, path: PathBuf },
    /// A path cannot be written into the service file faithfully.
    #[error("the {what} {} cannot be written into a {kind} service file: {why}", path.display())]
    Unrepresentable {
        what: &'static str,
        path: PathBuf,
        kind: ServiceKind,
        why: &'static str,
    },
    /// A file operation failed.
    #[error("{about} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        about: &'static str,
        source: io::Error,
    },
}

/// Installs the service for `exe` below `home` (systemd honours `XDG_CONFIG_HOME`). See [`install_in`].
pub fn install(
    kind: ServiceKind,
    exe: &Path,
    home: &Path,
    log_dir: &Path,
) -> Result<InstallReport, ServiceError> {
    install_in(kind, exe, &UserDirs::from_env(home), log_dir)
}

/// The `PATH` the service runs with: the installing user's, so the daemon finds the assistants (and the
/// `node` they run on) where that user's shell does, e.g. `~/.local/bin` or an nvm directory.
pub fn installing_search_path() -> Option<String> {
    std::env::var("PATH").ok().filter(|p| !p.is_empty())
}

/// Writes the service file for `exe` (absolute) into `dirs`, creating directories as needed (for launchd
/// also `log_dir`, which receives launchd's stdout/stderr capture). Re-installing is safe: an identical
/// file is left untouched, a different one is replaced atomically.
pub fn install_in(
    kind: ServiceKind,
    exe: &Path,
    dirs: &UserDirs,
    log_dir: &Path,
) -> Result<InstallReport, ServiceError> {
    check_path(kind, "daemon executable", exe)?;
    let search_path = installing_search_path();
    let content = match kind {
        ServiceKind::Systemd => systemd_unit(exe, search_path.as_deref()),
        ServiceKind::Launchd => {
            check_path(kind, "log directory", log_dir)?;
            fs::create_dir_all(log_dir).map_err(io_err(log_dir, "cannot create log directory"))?;
            launchd_plist(exe, log_dir, search_path.as_deref())
        }
    };
    let path = dirs.service_file(kind);
    let outcome = write_if_changed(&path, &content)?;
    tracing::info!(path = %path.display(), ?outcome, "service file installed");
    let next_command = match kind {
        ServiceKind::Systemd => {
            "systemctl --user daemon-reload && systemctl --user enable --now palingenesis"
                .to_string()
        }
        ServiceKind::Launchd => {
            format!("launchctl load -w {}", shell_quote(&path.to_string_lossy()))
        }
    };
    Ok(InstallReport {
        path,
        outcome,
        next_command,
    })
}

/// Removes the service installed below `home` (systemd honours `XDG_CONFIG_HOME`). See [`uninstall_in`].
pub fn uninstall(kind: ServiceKind, home: &Path) -> Result<UninstallReport, ServiceError> {
    uninstall_in(kind, &UserDirs::from_env(home))
}

/// Removes the service file and, for systemd, the `default.target.wants` link `systemctl enable` made.
/// Nothing installed is not an error. The returned command stops the still-loaded service; it works
/// without the file (`systemctl --user stop`, `launchctl remove <label>`).
pub fn uninstall_in(kind: ServiceKind, dirs: &UserDirs) -> Result<UninstallReport, ServiceError> {
    let mut candidates = vec![dirs.service_file(kind)];
    if kind == ServiceKind::Systemd {
        let link = dirs
            .systemd_dir()
            .join("default.target.wants")
            .join(SYSTEMD_UNIT);
        // Only the symlink `systemctl enable` makes; anything else there is not ours.
        if fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()) {
            candidates.push(link);
        }
    }
    let mut removed = Vec::new();
    for path in candidates {
        match fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&path, "cannot remove")(e)),
        }
    }
    tracing::info!(?removed, "service files removed");
    let next_command = (!removed.is_empty()).then(|| match kind {
        ServiceKind::Systemd => {
            "systemctl --user stop palingenesis; systemctl --user daemon-reload".to_string()
        }
        ServiceKind::Launchd => format!("launchctl remove {LAUNCHD_LABEL}"),
    });
    Ok(UninstallReport {
        removed,
        next_command,
    })
}

/// Paths must be absolute and survive the trip through the service file unchanged.
fn check_path(kind: ServiceKind, what: &'static str, path: &Path) -> Result<(), ServiceError> {
    if !path.is_absolute() {
        return Err(ServiceError::NotAbsolute {
            what,
            path: path.to_path_buf(),
        });
    }
    let unrepresentable = |why| ServiceError::Unrepresentable {
        what,
        path: path.to_path_buf(),
        kind,
        why,
    };
    let text = path
        .to_str()
        .ok_or_else(|| unrepresentable("it is not valid UTF-8"))?;
    match kind {
        // systemd parses the escaped form correctly but then refuses such executable names.
        ServiceKind::Systemd if text.chars().any(|c| c.is_control() || "\\\"'".contains(c)) => Err(
            unrepresentable("systemd refuses quotes, backslashes and control characters in it"),
        ),
        ServiceKind::Launchd if !text.chars().all(xml_safe) => {
            Err(unrepresentable("it holds characters XML cannot carry"))
        }
        _ => Ok(()),
    }
}

/// Writes `content` to `path` unless it already holds exactly that; via a temp file and rename.
fn write_if_changed(path: &Path, content: &str) -> Result<WriteOutcome, ServiceError> {
    let outcome = match fs::read(path) {
        Ok(existing) if existing == content.as_bytes() => return Ok(WriteOutcome::Unchanged),
        Ok(_) => WriteOutcome::Updated,
        Err(e) if e.kind() == io::ErrorKind::NotFound => WriteOutcome::Created,
        Err(e) => return Err(io_err(path, "cannot read existing service file")(e)),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir, "cannot create directory"))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp"));
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(content.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, "cannot write service file")(e));
    }
    Ok(outcome)
}

fn io_err(path: &Path, about: &'static str) -> impl FnOnce(io::Error) -> ServiceError {
    let path = path.to_path_buf();
    move |source| ServiceError::Io {
        path,
        about,
        source,
    }
}

//! Where palingenesis keeps its files.
//!
//! Linux follows XDG (config in `$XDG_CONFIG_HOME/palingenesis`, state in `$XDG_STATE_HOME/palingenesis`,
//! runtime in `$XDG_RUNTIME_DIR/palingenesis`), macOS its platform convention. `PALINGENESIS_HOME`
//! relocates everything below one directory, which is what tests use for isolation.

use std::path::{Path, PathBuf};

/// Environment variable that relocates every palingenesis file below one directory.
pub const HOME_ENV: &str = "PALINGENESIS_HOME";
/// Environment variable naming the config file explicitly.
pub const CONFIG_ENV: &str = "PALINGENESIS_CONFIG";

/// The user's home directory (`$HOME`), where the assistants keep their files.
pub fn user_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(p: &std::path::Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => user_home().join(rest),
        Err(_) => p.to_path_buf(),
    }
}

/// A watched location for `status`: the path, marked when it does not exist yet.
pub fn describe(p: &std::path::Path) -> String {
    if p.exists() {
        p.display().to_string()
    } else {
        format!("{} (not present yet)", p.display())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub state_dir: PathBuf,
    pub runtime_dir: PathBuf,
}

impl Paths {
    /// Resolve paths from the environment (PALINGENESIS_HOME, PALINGENESIS_CONFIG, XDG, platform).
    pub fn from_env() -> Paths {
        let mut paths = match std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            Some(home) => Paths::under(Path::new(&home)),
            None => Paths::platform(),
        };
        if let Some(cfg) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
            paths.config_file = PathBuf::from(cfg);
        }
        paths
    }

    /// Every file below one directory.
    pub fn under(home: &Path) -> Paths {
        Paths {
            config_file: home.join("config.toml"),
            state_dir: home.join("state"),
            runtime_dir: home.join("run"),
        }
    }

    fn platform() -> Paths {
        let dirs = directories::ProjectDirs::from("", "", "palingenesis");
        match dirs {
            Some(d) => {
                let state_dir = d
                    .state_dir()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| d.data_local_dir().to_path_buf());
                let runtime_dir = d
                    .runtime_dir()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| state_dir.join("run"));
                Paths {
                    config_file: d.config_dir().join("config.toml"),
                    state_dir,
                    runtime_dir,
                }
            }
            None => Paths::under(&std::env::temp_dir().join("palingenesis")),
        }
    }

    pub fn socket(&self) -> PathBuf {
        self.runtime_dir.join("palingenesis.sock")
    }
    pub fn pid_file(&self) -> PathBuf {
        self.runtime_dir.join("palingenesis.pid")
    }
    pub fn state_file(&self) -> PathBuf {
        self.state_dir.join("state.json")
    }
    pub fn audit_file(&self) -> PathBuf {
        self.state_dir.join("audit.jsonl")
    }
    pub fn log_dir(&self) -> PathBuf {
        self.state_dir.join("logs")
    }
    pub fn log_file(&self) -> PathBuf {
        self.log_dir().join("daemon.log")
    }
    /// The generated HTTP API token (0600), used when `[http] token` is not set.
    pub fn http_token_file(&self) -> PathBuf {
        self.state_dir.join("http-token")
    }
    pub fn backup_dir(&self) -> PathBuf {
        self.state_dir.join("backups")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_keeps_everything_below_home() {
        let p = Paths::under(Path::new("/x"));
        assert_eq!(p.config_file, Path::new("/x/config.toml"));
        assert!(p.socket().starts_with("/x"));
        assert!(p.audit_file().starts_with("/x/state"));
    }
}

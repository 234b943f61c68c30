//! The `[opencode]` config section.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::{ContextStrategy, Secret};

/// Its section of the config file, commented, for `config init`.
pub const TEMPLATE: &str = r#"[opencode]
# binary = "opencode"
# Own an `opencode serve` process, or attach to one you run (server_url).
supervise = false
# server_url = "http://127.0.0.1:4096"
auto_restart = true
serve_port = 4096
serve_hostname = "127.0.0.1"
# project_dir = "/path/to/project"
# A server that dies (or fails 3 health checks in a row) is restarted after restart_delay_secs, doubled for
# each recent restart; after max_restarts restarts within restart_window_secs it is left down.
restart_delay_secs = 2
health_check_interval_secs = 30
max_restarts = 5
restart_window_secs = 600
# Basic-auth password (user `opencode`), given to a supervised server as OPENCODE_SERVER_PASSWORD.
# server_password = "..."
# db_path = "~/.local/share/opencode/opencode.db"
env = {}
"#;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Section {
    pub binary: Option<PathBuf>,
    /// Own an `opencode serve` process.
    pub supervise: bool,
    /// Attach to a server the user runs instead (base URL).
    pub server_url: Option<String>,
    pub auto_restart: bool,
    pub serve_port: u16,
    pub serve_hostname: String,
    pub project_dir: Option<PathBuf>,
    pub restart_delay_secs: u64,
    pub health_check_interval_secs: u64,
    pub max_restarts: u32,
    pub restart_window_secs: u64,
    /// Basic-auth password of the server (user `opencode`). Never logged.
    pub server_password: Option<Secret>,
    /// Database; default `$XDG_DATA_HOME/opencode/opencode.db`.
    pub db_path: Option<PathBuf>,
    pub context_strategy: Option<ContextStrategy>,
    pub env: BTreeMap<String, String>,
}

impl Default for Section {
    fn default() -> Self {
        Section {
            binary: None,
            supervise: false,
            server_url: None,
            auto_restart: true,
            serve_port: 4096,
            serve_hostname: "127.0.0.1".into(),
            project_dir: None,
            restart_delay_secs: 2,
            health_check_interval_secs: 30,
            max_restarts: 5,
            restart_window_secs: 600,
            server_password: None,
            db_path: None,
            context_strategy: None,
            env: BTreeMap::new(),
        }
    }
}

/// Durations that must stay sane (a zero health-check interval, a restart delay of years): the first one out
/// of range, by key.
pub fn check_bounds(c: &Section) -> Result<(), String> {
    const DAY: u64 = 24 * 60 * 60;
    for (key, value, max) in [
        ("restart_delay_secs", c.restart_delay_secs, DAY),
        (
            "health_check_interval_secs",
            c.health_check_interval_secs,
            DAY,
        ),
        ("restart_window_secs", c.restart_window_secs, 30 * DAY),
    ] {
        if value > max {
            return Err(format!("{key} must be between 0 and {max}, got {value}"));
        }
    }
    Ok(())
}

//! The `[qwen]` config section.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Its section of the config file, commented, for `config init`.
pub const TEMPLATE: &str = r#"[qwen]
# binary = "qwen"
# home = "~/.qwen"
extra_args = []
env = {}

"#;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Section {
    /// The `qwen` executable (name on PATH or a path).
    pub binary: Option<PathBuf>,
    /// Qwen Code's home; default `$QWEN_HOME` or `~/.qwen`.
    pub home: Option<PathBuf>,
    /// Extra arguments for headless resumes (never permission-bypass flags: those are refused).
    pub extra_args: Vec<String>,
    /// Extra environment for resumed processes.
    pub env: BTreeMap<String, String>,
}

/// Qwen Code's home: `home`, else `$QWEN_HOME`, else `~/.qwen`.
pub fn qwen_home(section: &Section) -> PathBuf {
    if let Some(p) = &section.home {
        return crate::paths::expand_home(p);
    }
    if let Some(dir) = std::env::var_os("QWEN_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    crate::paths::user_home().join(".qwen")
}

/// Where its chats live: `<home>/projects` (each project has a `chats` folder).
pub fn projects_dir(section: &Section) -> PathBuf {
    qwen_home(section).join("projects")
}

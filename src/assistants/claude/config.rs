//! The `[claude]` config section.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Its section of the config file, commented, for `config init`.
pub const TEMPLATE: &str = r#"[claude]
# binary = "claude"
# projects_dir = "~/.claude/projects"
extra_args = []
env = {}

"#;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Section {
    /// The `claude` executable (name on PATH or a path).
    pub binary: Option<PathBuf>,
    /// Transcript root; default `$CLAUDE_CONFIG_DIR/projects` or `~/.claude/projects`.
    pub projects_dir: Option<PathBuf>,
    /// Extra arguments for headless resumes (never permission-bypass flags: those are refused).
    pub extra_args: Vec<String>,
    /// Extra environment for resumed processes.
    pub env: BTreeMap<String, String>,
}

/// The transcript root: `projects_dir`, else `$CLAUDE_CONFIG_DIR/projects`, else `~/.claude/projects`.
pub fn projects_dir(section: &Section) -> PathBuf {
    if let Some(p) = &section.projects_dir {
        return crate::paths::expand_home(p);
    }
    if let Some(dir) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("projects");
    }
    crate::paths::user_home().join(".claude").join("projects")
}

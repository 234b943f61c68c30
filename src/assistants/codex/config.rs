//! The `[codex]` config section.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::ContextStrategy;

/// Its section of the config file, commented, for `config init`.
pub const TEMPLATE: &str = r#"[codex]
# binary = "codex"
# home = "~/.codex"
extra_args = []
env = {}
# Codex compacts by itself on resume, so the default here is "same_session".
# context_strategy = "new_session"

"#;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Section {
    pub binary: Option<PathBuf>,
    /// Codex home; default `$CODEX_HOME` or `~/.codex`.
    pub home: Option<PathBuf>,
    pub extra_args: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Context strategy for Codex; default `same_session`, since Codex compacts by itself on resume.
    pub context_strategy: Option<ContextStrategy>,
}

/// Codex's home: `home`, else `$CODEX_HOME`, else `~/.codex`.
pub fn codex_home(section: &Section) -> PathBuf {
    if let Some(p) = &section.home {
        return crate::paths::expand_home(p);
    }
    if let Some(dir) = std::env::var_os("CODEX_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    crate::paths::user_home().join(".codex")
}

//! The `[gemini]` config section.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Its section of the config file, commented, for `config init`.
pub const TEMPLATE: &str = r#"[gemini]
# binary = "gemini"
# home = "~"            # the folder holding .gemini (Gemini CLI's $GEMINI_CLI_HOME)
extra_args = []
env = {}

"#;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Section {
    /// The `gemini` executable (name on PATH or a path).
    pub binary: Option<PathBuf>,
    /// The folder holding `.gemini`; default `$GEMINI_CLI_HOME`, else the user's home.
    pub home: Option<PathBuf>,
    /// Extra arguments for headless resumes, e.g. `["-m", "gemini-2.5-pro"]` (never permission-bypass flags
    /// such as `--yolo`: those are refused).
    pub extra_args: Vec<String>,
    /// Extra environment for resumed processes.
    pub env: BTreeMap<String, String>,
}

/// Gemini CLI's home: `<home>/.gemini`, with `home` from the section, else `$GEMINI_CLI_HOME`, else the user's.
pub fn gemini_dir(section: &Section) -> PathBuf {
    let home = match &section.home {
        Some(p) => crate::paths::expand_home(p),
        None => std::env::var_os("GEMINI_CLI_HOME")
            .filter(|d| !d.is_empty())
            .map_or_else(crate::paths::user_home, PathBuf::from),
    };
    home.join(".gemini")
}

/// Where its chats live: `<.gemini>/tmp` (each project has a `chats` folder).
pub fn projects_dir(section: &Section) -> PathBuf {
    gemini_dir(section).join("tmp")
}

//! Registering palingenesis's MCP server (`palingenesis mcp`, stdio) in an assistant's own configuration.

use std::path::{Path, PathBuf};

use super::BoxError;

/// The name palingenesis's server is registered under.
pub const SERVER_NAME: &str = "palingenesis";

/// The server as an assistant is to launch it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpServerSpec {
    /// This executable.
    pub command: PathBuf,
    /// `["mcp"]`, plus `--config`/`--state-dir` when those were given.
    pub args: Vec<String>,
}

impl McpServerSpec {
    pub fn name(&self) -> &'static str {
        SERVER_NAME
    }
}

/// What an install or uninstall did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum McpChange {
    /// The file was written; the previous content is kept at `backup` (none when there was no file).
    Changed { backup: Option<PathBuf> },
    /// Nothing to do: already installed (the same way), or not installed.
    Unchanged,
}

/// Adds and removes palingenesis's MCP server in one assistant's configuration file. Implementations refuse
/// to rewrite a file they cannot parse, keep everything else in it, and back up what was there.
pub trait McpInstaller: Send + Sync {
    /// The file the server is registered in.
    fn config_path(&self) -> PathBuf;
    fn install(&self, server: &McpServerSpec) -> Result<McpChange, BoxError>;
    fn uninstall(&self) -> Result<McpChange, BoxError>;
}

/// Writes `text` to `path` after keeping the old content beside it as `<name>.palingenesis-<stamp>.bak`;
/// the new content replaces the file atomically (temporary file, sync, rename). Returns the backup's path.
pub fn replace_with_backup(
    path: &Path,
    old: Option<&str>,
    text: &str,
) -> std::io::Result<Option<PathBuf>> {
    use std::io::Write;
    let backup = match old {
        Some(old) => {
            let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let backup = path.with_file_name(format!("{name}.palingenesis-{stamp}.bak"));
            std::fs::write(&backup, old)?;
            Some(backup)
        }
        None => None,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("palingenesis-tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    Ok(backup)
}

/// The file's text, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

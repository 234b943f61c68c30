//! Registering palingenesis's MCP server (`palingenesis mcp`, stdio) in an assistant's own configuration.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{BoxError, Installed};

/// The name palingenesis's server is registered under.
pub const SERVER_NAME: &str = "palingenesis";

/// The server as an assistant is to launch it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpServerSpec {
    /// This executable.
    pub command: PathBuf,
    /// `["mcp"]`.
    pub args: Vec<String>,
    /// Variables the server needs to find this daemon (`PALINGENESIS_HOME` when set at install time).
    pub env: Vec<(String, String)>,
}

impl McpServerSpec {
    /// The command as one string.
    pub fn command_str(&self) -> String {
        self.command.display().to_string()
    }

    /// The `{command, args, env}` object most JSON configurations use (Claude Code, Qwen Code).
    pub fn stdio_entry(&self) -> Value {
        serde_json::json!({
            "command": self.command_str(),
            "args": self.args,
            "env": self.env_json(),
        })
    }

    /// `env` as a JSON object.
    pub fn env_json(&self) -> Value {
        Value::Object(
            self.env
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

/// Why an assistant's MCP configuration was left alone.
#[derive(Debug, thiserror::Error)]
pub enum McpConfigError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} cannot be parsed ({reason}); fix or move it first, it was left as it is", path.display())]
    Parse { path: PathBuf, reason: String },
    #[error("{}: `{key}` is not a table/object; fix it first, the file was left as it is", path.display())]
    NotATable { path: PathBuf, key: String },
}

/// Sets `<keys…>.palingenesis` in a JSON settings file to `entry`, keeping everything else (a missing file is
/// created). Unchanged when the same entry is there already.
pub fn install_json(path: &Path, keys: &[&str], entry: Value) -> Result<McpChange, McpConfigError> {
    edit_json(path, keys, |servers| {
        if servers.get(SERVER_NAME) == Some(&entry) {
            return false;
        }
        servers.insert(SERVER_NAME.into(), entry);
        true
    })
}

/// Removes `<keys…>.palingenesis` from a JSON settings file; unchanged when it is not there.
pub fn uninstall_json(path: &Path, keys: &[&str]) -> Result<McpChange, McpConfigError> {
    if !path.exists() {
        return Ok(McpChange::Unchanged);
    }
    edit_json(path, keys, |servers| servers.remove(SERVER_NAME).is_some())
}

/// Whether `<keys…>.palingenesis` in a JSON settings file is `entry` (read-only; a missing file holds nothing).
pub fn installed_json(
    path: &Path,
    keys: &[&str],
    entry: &Value,
) -> Result<Installed, McpConfigError> {
    let old = read_optional(path).map_err(|source| McpConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let doc: Value = match old.as_deref().map(str::trim) {
        None | Some("") => return Ok(Installed::No),
        Some(text) => serde_json::from_str(text).map_err(|e| McpConfigError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?,
    };
    let mut at = &doc;
    for key in keys {
        match at.get(key) {
            Some(next) => at = next,
            None => return Ok(Installed::No),
        }
    }
    Ok(match at.get(SERVER_NAME) {
        Some(found) if found == entry => Installed::Yes,
        Some(_) => Installed::Outdated,
        None => Installed::No,
    })
}

fn edit_json(
    path: &Path,
    keys: &[&str],
    change: impl FnOnce(&mut Map<String, Value>) -> bool,
) -> Result<McpChange, McpConfigError> {
    let io = |source| McpConfigError::Io {
        path: path.to_path_buf(),
        source,
    };
    let old = read_optional(path).map_err(io)?;
    let mut doc = match old.as_deref().map(str::trim) {
        None | Some("") => Value::Object(Map::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| McpConfigError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?,
    };
    let not_table = |key: &str| McpConfigError::NotATable {
        path: path.to_path_buf(),
        key: key.to_string(),
    };
    let mut at = doc
        .as_object_mut()
        .ok_or_else(|| not_table("(top level)"))?;
    for key in keys {
        at = at
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| not_table(key))?;
    }
    if !change(at) {
        return Ok(McpChange::Unchanged);
    }
    let text = serde_json::to_string_pretty(&doc).expect("JSON values serialize") + "\n";
    let backup = replace_with_backup(path, old.as_deref(), &text).map_err(io)?;
    Ok(McpChange::Changed { backup })
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
    /// Whether `server` is registered, exactly as `install` would write it (read-only).
    fn installed(&self, server: &McpServerSpec) -> Result<Installed, BoxError>;
}

/// The server registered as `mcpServers.palingenesis` (command, args, env) in a JSON settings file: how
/// Claude Code, Qwen Code and Gemini CLI keep their MCP servers.
pub struct McpServersJson {
    /// The settings file (read when installing, so it follows the environment).
    pub path: fn() -> PathBuf,
    /// The entry says `"type": "stdio"` (Claude Code writes it).
    pub typed: bool,
}

impl McpInstaller for McpServersJson {
    fn config_path(&self) -> PathBuf {
        (self.path)()
    }

    fn install(&self, server: &McpServerSpec) -> Result<McpChange, BoxError> {
        Ok(install_json(
            &self.config_path(),
            &["mcpServers"],
            self.entry(server),
        )?)
    }

    fn uninstall(&self) -> Result<McpChange, BoxError> {
        Ok(uninstall_json(&self.config_path(), &["mcpServers"])?)
    }

    fn installed(&self, server: &McpServerSpec) -> Result<Installed, BoxError> {
        let entry = self.entry(server);
        Ok(installed_json(
            &self.config_path(),
            &["mcpServers"],
            &entry,
        )?)
    }
}

impl McpServersJson {
    fn entry(&self, server: &McpServerSpec) -> Value {
        let mut entry = server.stdio_entry();
        if self.typed {
            entry["type"] = Value::String("stdio".into());
        }
        entry
    }
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
            // A second change within the same second gets its own copy (`…-1.bak`), never overwrites one.
            let mut n = 0u32;
            loop {
                let suffix = if n == 0 {
                    String::new()
                } else {
                    format!("-{n}")
                };
                let backup =
                    path.with_file_name(format!("{name}.palingenesis-{stamp}{suffix}.bak"));
                match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&backup)
                {
                    Ok(mut f) => {
                        f.write_all(old.as_bytes())?;
                        f.sync_all()?;
                        break Some(backup);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                    Err(e) => return Err(e),
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_query_compares_the_whole_entry_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let entry = serde_json::json!({"command": "/usr/bin/palingenesis", "args": ["mcp"]});
        let keys = ["mcpServers"];
        assert_eq!(installed_json(&path, &keys, &entry).unwrap(), Installed::No);
        assert!(!path.exists(), "a query creates no file");
        install_json(&path, &keys, entry.clone()).unwrap();
        assert_eq!(
            installed_json(&path, &keys, &entry).unwrap(),
            Installed::Yes
        );
        let moved = serde_json::json!({"command": "/opt/palingenesis", "args": ["mcp"]});
        assert_eq!(
            installed_json(&path, &keys, &moved).unwrap(),
            Installed::Outdated
        );
        std::fs::write(&path, "{not json").unwrap();
        assert!(installed_json(&path, &keys, &entry).is_err());
    }
}

//! Installing palingenesis's hooks into Claude Code's `settings.json`, merged with whatever is there.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The hook events palingenesis listens to.
/// `Notification` carries the state of Claude Code's own auto-continue (`quota_auto_resume_*`).
pub const EVENTS: [&str; 5] = [
    "StopFailure",
    "Stop",
    "SessionEnd",
    "SessionStart",
    "Notification",
];

/// Marks our entries so uninstall finds exactly them.
const MARKER: &str = "hook claude";

#[derive(Debug, thiserror::Error)]
pub enum HooksError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON ({source}); fix or move it first")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// `$CLAUDE_CONFIG_DIR/settings.json` or `~/.claude/settings.json`.
pub fn settings_path() -> PathBuf {
    if let Some(dir) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("settings.json");
    }
    crate::paths::user_home()
        .join(".claude")
        .join("settings.json")
}

fn is_ours(hook: &Value) -> bool {
    hook.get("command")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("palingenesis") && c.ends_with(MARKER))
}

/// Add our hooks (idempotent), keeping every other hook.
pub fn with_hooks(mut settings: Value, command: &str) -> Value {
    settings = without_hooks(settings);
    if !settings.is_object() {
        settings = json!({});
    }
    let hooks = settings
        .as_object_mut()
        .expect("object")
        .entry("hooks")
        .or_insert_with(|| json!({}));
    if !hooks.is_object() {
        *hooks = json!({});
    }
    for event in EVENTS {
        let list = hooks
            .as_object_mut()
            .expect("object")
            .entry(event)
            .or_insert_with(|| json!([]));
        if !list.is_array() {
            *list = json!([]);
        }
        list.as_array_mut().expect("array").push(json!({
            "hooks": [{ "type": "command", "command": command, "timeout": 10 }]
        }));
    }
    settings
}

/// Remove our hooks, and any group or event left empty by that.
pub fn without_hooks(mut settings: Value) -> Value {
    let Some(hooks) = settings.get_mut("hooks").and_then(Value::as_object_mut) else {
        return settings;
    };
    for list in hooks.values_mut() {
        let Some(groups) = list.as_array_mut() else {
            continue;
        };
        for group in groups.iter_mut() {
            if let Some(inner) = group.get_mut("hooks").and_then(Value::as_array_mut) {
                inner.retain(|h| !is_ours(h));
            }
        }
        groups.retain(|g| {
            g.get("hooks")
                .and_then(Value::as_array)
                .is_none_or(|h| !h.is_empty())
        });
    }
    hooks.retain(|_, list| list.as_array().is_none_or(|l| !l.is_empty()));
    if hooks.is_empty() {
        settings
            .as_object_mut()
            .expect("has hooks so is an object")
            .remove("hooks");
    }
    settings
}

/// The command line Claude Code runs: this executable, quoted for the shell.
pub fn hook_command(exe: &Path) -> String {
    let s = exe.display().to_string();
    let quoted = if s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    };
    format!("{quoted} {MARKER}")
}

/// Read-modify-write the settings file, keeping a backup of the previous content. Returns the backup path.
pub fn update_file(
    path: &Path,
    change: impl FnOnce(Value) -> Value,
) -> Result<Option<PathBuf>, HooksError> {
    let io = |source| HooksError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (current, backup) = match std::fs::read_to_string(path) {
        Ok(text) => {
            let value = if text.trim().is_empty() {
                json!({})
            } else {
                serde_json::from_str(&text).map_err(|source| HooksError::Parse {
                    path: path.to_path_buf(),
                    source,
                })?
            };
            let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
            let backup = path.with_extension(format!("json.palingenesis-{stamp}.bak"));
            std::fs::write(&backup, &text).map_err(io)?;
            (value, Some(backup))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (json!({}), None),
        Err(e) => return Err(io(e)),
    };
    let updated = change(current);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_string_pretty(&updated).expect("serializable") + "\n",
    )
    .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_keeps_other_hooks_and_is_idempotent() {
        let user = json!({"model": "x", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]}});
        let cmd = hook_command(Path::new("/usr/bin/palingenesis"));
        let once = with_hooks(user.clone(), &cmd);
        let twice = with_hooks(once.clone(), &cmd);
        assert_eq!(once, twice);
        assert_eq!(once["model"], "x");
        assert_eq!(once["hooks"]["Stop"].as_array().unwrap().len(), 2);
        assert_eq!(once["hooks"]["StopFailure"][0]["hooks"][0]["command"], cmd);
        assert_eq!(without_hooks(once), user);
    }

    #[test]
    fn uninstall_of_nothing_changes_nothing() {
        let v = json!({"a": 1});
        assert_eq!(without_hooks(v.clone()), v);
    }

    #[test]
    fn paths_with_spaces_are_quoted() {
        assert_eq!(
            hook_command(Path::new("/a b/palingenesis")),
            "'/a b/palingenesis' hook claude"
        );
    }
}

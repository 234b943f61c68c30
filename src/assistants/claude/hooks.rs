//! Installing palingenesis's hooks into Claude Code's `settings.json`, merged with whatever is there.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::adapter::{HookChange, Installed};

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
    #[error("{path} is not valid JSON ({source}); it was left unchanged: fix or move it first")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{path}: {what}, not the shape Claude Code's settings have; it was left unchanged: fix or move it first"
    )]
    Shape { path: PathBuf, what: String },
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

/// Why `settings` is not something hooks can be merged into (`None`: it is), so that a file of another
/// shape is refused rather than replaced.
pub fn shape_problem(settings: &Value) -> Option<String> {
    let Some(top) = settings.as_object() else {
        return Some(format!("the file holds {}, not an object", kind(settings)));
    };
    let hooks = match top.get("hooks") {
        None => return None,
        Some(Value::Object(h)) => h,
        Some(other) => return Some(format!("\"hooks\" is {}, not an object", kind(other))),
    };
    for (event, list) in hooks {
        let Some(groups) = list.as_array() else {
            return Some(format!(
                "\"hooks\".\"{event}\" is {}, not a list",
                kind(list)
            ));
        };
        for group in groups {
            match group.get("hooks") {
                _ if !group.is_object() => {
                    return Some(format!(
                        "an entry of \"hooks\".\"{event}\" is {}, not an object",
                        kind(group)
                    ));
                }
                Some(inner) if !inner.is_array() => {
                    return Some(format!(
                        "an entry of \"hooks\".\"{event}\" has \"hooks\" = {}, not a list",
                        kind(inner)
                    ));
                }
                _ => {}
            }
        }
    }
    None
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Read-modify-write the settings file. Nothing is written when `change` changes nothing; otherwise the
/// previous content is first copied to a backup of its own name (never over an earlier backup). A file that
/// does not parse, or has another shape, is refused and left as it is.
pub fn update_file(
    path: &Path,
    change: impl FnOnce(Value) -> Value,
) -> Result<HookChange, HooksError> {
    let io = |source| HooksError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (current, text) = read_settings(path)?;
    let updated = change(current.clone());
    if updated == current {
        return Ok(HookChange::Unchanged);
    }
    let backup = match &text {
        Some(text) => Some(crate::backup::keep_copy(path, text).map_err(io)?),
        None => None,
    };
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
    Ok(HookChange::Written { backup })
}

/// Whether hooks running `command` are in the settings file (read-only): as installing would leave them,
/// some of ours (another command, an older set), or none.
pub fn installed_in(path: &Path, command: &str) -> Result<Installed, HooksError> {
    let (current, _) = read_settings(path)?;
    Ok(if with_hooks(current.clone(), command) == current {
        Installed::Yes
    } else if without_hooks(current.clone()) != current {
        Installed::Outdated
    } else {
        Installed::No
    })
}

/// The settings (an empty object when there is no file) and the file's text; refused when it does not parse
/// or has another shape.
fn read_settings(path: &Path) -> Result<(Value, Option<String>), HooksError> {
    let io = |source| HooksError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (current, text) = match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => (json!({}), Some(text)),
        Ok(text) => {
            let value = serde_json::from_str(&text).map_err(|source| HooksError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
            (value, Some(text))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (json!({}), None),
        Err(e) => return Err(io(e)),
    };
    if let Some(what) = shape_problem(&current) {
        return Err(HooksError::Shape {
            path: path.to_path_buf(),
            what,
        });
    }
    Ok((current, text))
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
    fn settings_of_another_shape_are_refused_by_name() {
        for (text, what) in [
            (json!([1, 2]), "a list, not an object"),
            (json!({"hooks": []}), "\"hooks\" is a list"),
            (
                json!({"hooks": {"Stop": "oops"}}),
                "\"hooks\".\"Stop\" is a string",
            ),
            (
                json!({"hooks": {"Stop": [1]}}),
                "is a number, not an object",
            ),
        ] {
            let got = shape_problem(&text).unwrap_or_default();
            assert!(got.contains(what), "{text}: {got}");
        }
        assert_eq!(shape_problem(&json!({"model": "x", "hooks": {}})), None);
    }

    #[test]
    fn the_status_query_tells_ours_from_outdated_and_absent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let cmd = hook_command(Path::new("/usr/bin/palingenesis"));
        assert_eq!(installed_in(&path, &cmd).unwrap(), Installed::No);
        update_file(&path, |v| with_hooks(v, &cmd)).unwrap();
        assert_eq!(installed_in(&path, &cmd).unwrap(), Installed::Yes);
        let moved = hook_command(Path::new("/opt/palingenesis"));
        assert_eq!(installed_in(&path, &moved).unwrap(), Installed::Outdated);
        update_file(&path, without_hooks).unwrap();
        assert_eq!(installed_in(&path, &cmd).unwrap(), Installed::No);
        std::fs::write(&path, "[1,2]").unwrap();
        assert!(installed_in(&path, &cmd).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[1,2]");
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

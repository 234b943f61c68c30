//! `palingenesis config init|show|validate|edit|set|path`.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};

use crate::cli::args::ConfigCmd;
use crate::cli::{exit, render};
use crate::config::{self, template::template};
use crate::paths::Paths;

pub fn run(cmd: ConfigCmd, paths: &Paths) -> anyhow::Result<u8> {
    let path = &paths.config_file;
    match cmd {
        ConfigCmd::Path(f) => {
            if f.json {
                crate::cli::render::json(
                    &serde_json::json!({ "path": path, "exists": path.exists() }),
                )?;
            } else {
                println!("{}", path.display());
            }
            Ok(exit::OK)
        }
        ConfigCmd::Init { force, json } => {
            if path.exists() && !force {
                bail!(
                    "{} already exists (use --force to overwrite)",
                    path.display()
                );
            }
            let kept = match std::fs::read_to_string(path) {
                Ok(old) => Some(
                    crate::backup::keep_copy(path, &old)
                        .with_context(|| format!("keeping a copy of {}", path.display()))?,
                ),
                Err(_) => None,
            };
            write_private(path, &template())?;
            let token_file = paths.http_token_file();
            crate::http::auth::ensure_token_file(&token_file)
                .with_context(|| format!("writing {}", token_file.display()))?;
            if json {
                crate::cli::render::json(&serde_json::json!({
                    "written": path, "previous_kept_at": kept, "http_token_file": token_file,
                }))?;
                return Ok(exit::OK);
            }
            println!("wrote {}", path.display());
            if let Some(kept) = kept {
                println!("the previous file is kept at {}", kept.display());
            }
            println!("HTTP API token in {}", token_file.display());
            Ok(exit::OK)
        }
        ConfigCmd::Show(f) => {
            let c = config::redacted(&config::load(path)?)?;
            if f.json {
                render::json(&c)?;
            } else {
                print!("{}", toml::to_string_pretty(&c)?);
            }
            Ok(exit::OK)
        }
        ConfigCmd::Validate { file, json } => {
            let active = file.as_deref().is_none_or(|f| f == path.as_path());
            super::config_validate::run(file.as_deref().unwrap_or(path), active, json)
        }
        ConfigCmd::Set { key, value, json } => {
            let current = std::fs::read_to_string(path).ok();
            let text = config::set_key(current.as_deref(), path, &key, &value)?;
            write_private(path, &text)?;
            // Secrets are not echoed back.
            let shown = if is_secret(&key) {
                "<redacted>"
            } else {
                &value
            };
            if json {
                crate::cli::render::json(&serde_json::json!({
                    "key": key, "value": shown, "file": path, "applies": next_step(paths, &key),
                }))?;
                return Ok(exit::OK);
            }
            println!("{key} = {shown}  ({})", path.display());
            println!("{}", next_step(paths, &key));
            if let Ok(c) = config::validate_text(&text, path) {
                print_warnings(&c);
            }
            Ok(exit::OK)
        }
        ConfigCmd::Edit => edit(path),
    }
}

/// What the user does next for a changed key to take effect, as it is.
fn next_step(paths: &Paths, key: &str) -> String {
    if !super::daemon_answers(paths) {
        return "the daemon is not running; it takes effect when it starts (`palingenesis daemon start`)"
            .into();
    }
    match crate::daemon::reload::restart_needed_for(key) {
        Some(why) => format!(
            "takes effect at `palingenesis daemon restart` ({why}; a reload does not apply it)"
        ),
        None => "apply it now with `palingenesis daemon reload` (it says what it applied)".into(),
    }
}

/// Half-configured features are valid but inactive: say what is missing.
fn print_warnings(c: &config::Config) {
    for w in config::warnings(c) {
        eprintln!("warning: {w}");
    }
}

/// Keys whose values may hold a secret (tokens, passwords, webhook URLs with a token in them): erring on the
/// side of not echoing.
fn is_secret(key: &str) -> bool {
    ["token", "secret", "password", "webhook_url", "ntfy_url"]
        .iter()
        .any(|s| key.contains(s))
}

/// Edit a copy in $EDITOR; replace the real file only with a valid result.
fn edit(path: &Path) -> anyhow::Result<u8> {
    let original = std::fs::read_to_string(path).unwrap_or_else(|_| template());
    let dir = path.parent().context("config path has no directory")?;
    std::fs::create_dir_all(dir)?;
    let draft = dir.join(".config.toml.edit");
    write_private(&draft, &original)?;
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&draft)
        .status()
        .with_context(|| format!("running editor `{editor}`"))?;
    if !status.success() {
        bail!(
            "the editor exited with {status}; {} left unchanged (draft kept at {})",
            path.display(),
            draft.display()
        );
    }
    let text = std::fs::read_to_string(&draft)?;
    match config::validate_text(&text, path) {
        Ok(_) => {
            write_private(path, &text)?;
            let _ = std::fs::remove_file(&draft);
            println!(
                "{} saved; apply with `palingenesis daemon reload`",
                path.display()
            );
            Ok(exit::OK)
        }
        Err(e) => {
            eprintln!(
                "{e}\n{} left unchanged; your edit is kept at {}",
                path.display(),
                draft.display()
            );
            Ok(exit::FAILURE)
        }
    }
}

/// Atomically write a 0600 file.
pub(in crate::cli::commands) fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().context("path has no directory")?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("config")
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

//! `palingenesis config validate [FILE] [--json]`: every problem of the config at once, each with file:line:col
//! (or the override variable that brought it), checked with this environment's `PALINGENESIS__` overrides and
//! the assistants' configured binaries. Exit 1 when there is a problem.
//!
//! `--json`: `{"file", "valid", "exists", "overrides": [variable…], "problems": [{"text", "message", "file"?,
//! "line"?, "col"?, "key"?, "variable"?}], "warnings": [text…]}`; `text` is the line the text output prints.

use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};

use crate::cli::{exit, render};
use crate::config::{self, ConfigError};

pub fn run(file: &Path, active: bool, json: bool) -> anyhow::Result<u8> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && active => {
            if json {
                render::json(&json!({"file": file, "valid": true, "exists": false,
                    "overrides": [], "problems": [], "warnings": []}))?;
            } else {
                println!("no config file at {}; defaults apply", file.display());
            }
            return Ok(exit::OK);
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    };
    // What the daemon would run with: the file and this environment's overrides.
    let env = config::env_overrides();
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    let (config, mut problems) = match config::problems(&text, file, &env) {
        Ok(c) => (Some(c), Vec::new()),
        Err(errors) => (None, errors.iter().map(problem).collect::<Vec<_>>()),
    };
    if let Some(c) = &config {
        for m in config::missing_binaries(c) {
            let mut p = json!({"message": m.to_string()});
            if let Some(at) = config::binary_location(&text, file, &m.section) {
                p = location(&at, &m.to_string());
            }
            problems.push(p);
        }
    }
    let warnings: Vec<String> = config.as_ref().map(config::warnings).unwrap_or_default();
    let valid = problems.is_empty();
    if json {
        render::json(&json!({
            "file": file,
            "valid": valid,
            "exists": true,
            "overrides": names,
            "problems": problems,
            "warnings": warnings,
        }))?;
    } else {
        for p in &problems {
            eprintln!("{}", p["text"].as_str().unwrap_or_default());
        }
        match (valid, names.is_empty()) {
            (false, _) => eprintln!("{}: {} problem(s)", file.display(), problems.len()),
            (true, true) => println!("{}: valid", file.display()),
            (true, false) => println!(
                "{}: valid, with the environment's overrides ({})",
                file.display(),
                names.join(", ")
            ),
        }
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(if valid { exit::OK } else { exit::FAILURE })
}

/// One problem as JSON.
fn problem(e: &ConfigError) -> Value {
    match e {
        ConfigError::Invalid {
            location: at,
            message,
        } => location(at, message),
        ConfigError::Env { var, message } => {
            json!({"variable": var, "message": message, "text": e.to_string()})
        }
        ConfigError::Key { key, message } => {
            json!({"key": key, "message": message, "text": e.to_string()})
        }
        ConfigError::Read { .. } => json!({"message": e.to_string(), "text": e.to_string()}),
    }
}

fn location(at: &config::Location, message: &str) -> Value {
    let mut v =
        json!({"file": at.file, "line": at.line, "col": at.col, "key": at.key, "message": message});
    v["text"] = Value::String(format!("{at}: {message}"));
    v
}

//! `palingenesis doctor`: checks the whole setup (config, assistants and their versions, hooks, MCP, daemon,
//! service and its PATH, HTTP, notification channels) and prints one line per check with the fix for each
//! problem. Exit 1 when a check fails; warnings do not fail.

pub(crate) mod assistant;
mod reach;

use serde::Serialize;

use crate::adapter::Installed;
use crate::cli::{exit, render};
use crate::config::{self, Config};
use crate::ipc::client::{Client, ClientError};
use crate::paths::Paths;

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Level {
    Ok,
    Warn,
    Fail,
}

/// One line of the report.
#[derive(Serialize, Debug)]
struct Check {
    name: String,
    level: Level,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

fn check(name: impl Into<String>, level: Level, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        level,
        detail: detail.into(),
        fix: None,
    }
}

impl Check {
    fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

pub async fn run(paths: &Paths, json: bool) -> anyhow::Result<u8> {
    let exe = super::installers::exe()?;
    let mut checks = Vec::new();
    let config = config_check(paths, &mut checks);
    let service = super::service::kind()
        .ok()
        .map(|kind| super::service::status(kind, &exe, paths));
    let service_path = service.as_ref().and_then(|s| s.path.as_deref());
    for adapter in crate::assistants::all() {
        assistant::checks(*adapter, &config, &exe, service_path, &mut checks).await;
    }
    checks.push(daemon_check(paths).await);
    checks.push(service_check(service.as_ref()));
    checks.push(http_check(&config, paths));
    checks.push(time_zones_check());
    checks.extend(reach::checks(&config).await);
    let ok = checks.iter().all(|c| c.level != Level::Fail);
    if json {
        render::json(&serde_json::json!({"ok": ok, "checks": checks}))?;
    } else {
        for c in &checks {
            let level = match c.level {
                Level::Ok => "ok  ",
                Level::Warn => "warn",
                Level::Fail => "FAIL",
            };
            let fix = c.fix.as_ref().map(|f| format!("; fix: {f}"));
            println!(
                "{level} {:<16} {}{}",
                c.name,
                c.detail,
                fix.unwrap_or_default()
            );
        }
    }
    Ok(if ok { exit::OK } else { exit::FAILURE })
}

/// The config with `PALINGENESIS__` overrides; the defaults (and a failed check) when it does not load.
fn config_check(paths: &Paths, checks: &mut Vec<Check>) -> Config {
    let file = paths.config_file.display();
    match config::load(&paths.config_file) {
        Ok(c) => {
            let detail = match paths.config_file.exists() {
                true => format!("{file} loads (with PALINGENESIS__ overrides)"),
                false => format!("no file at {file}; defaults apply"),
            };
            checks.push(check("config", Level::Ok, detail));
            c
        }
        Err(e) => {
            checks.push(
                check("config", Level::Fail, e.to_string())
                    .fix("correct it (`palingenesis config validate` names every problem)"),
            );
            Config::default()
        }
    }
}

async fn daemon_check(paths: &Paths) -> Check {
    match Client::connect(&paths.socket(), "doctor").await {
        Ok(c) => check(
            "daemon",
            Level::Ok,
            format!(
                "running (pid {}, version {})",
                c.daemon_pid, c.daemon_version
            ),
        ),
        Err(ClientError::NotRunning { .. }) => {
            match crate::daemon::pidfile::running_pid(&paths.pid_file()) {
                Some(pid) => check(
                    "daemon",
                    Level::Fail,
                    format!(
                        "pid {pid} holds {} but {} does not answer",
                        paths.pid_file().display(),
                        paths.socket().display()
                    ),
                )
                .fix("palingenesis daemon restart"),
                None => check("daemon", Level::Warn, "not running")
                    .fix("palingenesis daemon start (or `palingenesis service install`)"),
            }
        }
        Err(e) => check("daemon", Level::Fail, e.to_string()).fix("palingenesis daemon restart"),
    }
}

fn service_check(service: Option<&super::service::Status>) -> Check {
    let Some(s) = service else {
        return check(
            "service",
            Level::Warn,
            "no supported service manager (systemd or launchd) on this platform",
        );
    };
    let path_text = s.path.as_deref().unwrap_or("(service manager default)");
    let file = s.file.display();
    match s.installed {
        Installed::Yes => {
            let whose = if s.path_is_this_shells {
                ""
            } else {
                " (not this shell's)"
            };
            check(
                "service",
                Level::Ok,
                format!("installed at {file}; its PATH{whose}: {path_text}"),
            )
        }
        Installed::Outdated => check(
            "service",
            Level::Warn,
            format!("installed at {file} for another executable or in an older layout; its PATH: {path_text}"),
        )
        .fix("palingenesis service install"),
        Installed::No => check(
            "service",
            Level::Warn,
            format!("not installed; `service install` would give it PATH: {path_text}"),
        )
        .fix("palingenesis service install"),
    }
}

/// Reset times named in a zone ("resets 6:40pm (Asia/Calcutta)") are read with the system's zoneinfo.
fn time_zones_check() -> Check {
    match crate::tz::database_dir() {
        Some(dir) => check("time zones", Level::Ok, format!("zoneinfo in {}", dir.display())),
        None => check(
            "time zones",
            Level::Warn,
            format!(
                "no time-zone database: zones use the built-in rules of tzdata {}, which may be out of date",
                crate::tz::builtin_release()
            ),
        )
        .fix("install the system's tzdata package, or set TZDIR to a zoneinfo directory"),
    }
}

fn http_check(config: &Config, paths: &Paths) -> Check {
    let http = &config.http;
    if !http.enabled {
        return check("http", Level::Ok, "disabled");
    }
    let token = match (&http.token, paths.http_token_file().exists()) {
        (Some(_), _) => "token configured".to_string(),
        (None, true) => format!("token in {}", paths.http_token_file().display()),
        (None, false) => "token generated when the daemon starts".to_string(),
    };
    check(
        "http",
        Level::Ok,
        format!("enabled on {}; {token}", http.bind),
    )
}

//! `palingenesis doctor`: checks the whole setup (config, assistants, daemon, service, HTTP, PATH) and prints
//! one line per check with the fix for each problem. Exit 1 when a check fails; warnings do not fail.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use crate::adapter::{Adapter, mcp::SERVER_NAME};
use crate::cli::{exit, render};
use crate::config::{self, Config};
use crate::ipc::client::{Client, ClientError};
use crate::paths::Paths;
use crate::service::{self, ServiceKind, UserDirs};

/// How long an assistant's `--version` may take before it is given up on (and killed).
const VERSION_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Level {
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
    let exe = std::env::current_exe().context("locating the palingenesis executable")?;
    let mut checks = Vec::new();
    let config = config_check(paths, &mut checks);
    let service_path = service_search_path();
    for adapter in crate::assistants::all() {
        assistant_checks(*adapter, &config, &exe, &service_path, &mut checks).await;
    }
    checks.push(daemon_check(paths).await);
    checks.push(service_check(&service_path));
    checks.push(http_check(&config, paths));
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

/// The `PATH` the service runs with: the one in the installed service file, else the one `service install`
/// would write.
struct ServicePath {
    /// The installed service file, if there is one.
    installed: Option<PathBuf>,
    /// `None`: the service manager's default.
    value: Option<String>,
}

fn service_search_path() -> ServicePath {
    let file = ServiceKind::detect()
        .map(|kind| UserDirs::from_env(&crate::paths::user_home()).service_file(kind))
        .filter(|f| f.exists());
    match file {
        Some(f) => ServicePath {
            value: std::fs::read_to_string(&f)
                .ok()
                .and_then(|t| service::search_path_in(&t)),
            installed: Some(f),
        },
        None => ServicePath {
            installed: None,
            value: service::installing_search_path(),
        },
    }
}

async fn assistant_checks(
    adapter: &dyn Adapter,
    config: &Config,
    exe: &Path,
    service_path: &ServicePath,
    checks: &mut Vec<Check>,
) {
    let assistant = adapter.assistant();
    let name = assistant.as_str();
    let configured = config
        .section(assistant)
        .get("binary")
        .and_then(|b| b.as_str())
        .map(str::to_string);
    // Without `binary`, each resumer runs the assistant by its own name (`binary_or(…, name)`).
    let binary = configured.clone().unwrap_or_else(|| name.to_string());
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = match config::locate(&binary, &path) {
        Ok(found) => found,
        Err(why) => {
            // Not installed is fine unless the config says it is used.
            let expected = configured.is_some() || config.listed(assistant) == Some(true);
            checks.push(match expected {
                true => check(name, Level::Fail, format!("binary `{binary}`: {why}")).fix(format!(
                    "install it, or set `{name}.binary` to where it is (`palingenesis config set {name}.binary PATH`)"
                )),
                false => check(name, Level::Ok, format!("not installed (`{binary}`: {why})")),
            });
            return;
        }
    };
    checks.push(match version_of(&found).await {
        Ok(version) => check(name, Level::Ok, format!("{} ({version})", found.display())),
        Err(why) => check(name, Level::Warn, format!("{} ({why})", found.display()))
            .fix(format!("check that `{} --version` runs", found.display())),
    });
    if let Some(service_value) = &service_path.value
        && configured.is_none()
        && config::locate(&binary, OsStr::new(service_value)).is_err()
    {
        checks.push(
            check(
                format!("{name} service"),
                Level::Warn,
                "the service's PATH does not find it",
            )
            .fix(format!(
                "reinstall the service from a shell that finds it (`palingenesis service install`), or set `{name}.binary`"
            )),
        );
    }
    if let Some(hooks) = adapter.hooks() {
        let settings = hooks.settings_path();
        let installed = mentions(&settings, &[&hooks.command_for(exe)]);
        let c = match installed {
            true => check(
                format!("{name} hooks"),
                Level::Ok,
                format!("installed in {}", settings.display()),
            ),
            false => check(
                format!("{name} hooks"),
                Level::Warn,
                format!("not installed in {}", settings.display()),
            )
            .fix(format!("palingenesis hooks install {name}")),
        };
        checks.push(c);
    }
    if let Some(mcp) = adapter.mcp() {
        let file = mcp.config_path();
        let exe_text = exe.display().to_string();
        let c = match mentions(&file, &[SERVER_NAME, &exe_text]) {
            true => check(
                format!("{name} mcp"),
                Level::Ok,
                format!("server registered in {}", file.display()),
            ),
            false => check(
                format!("{name} mcp"),
                Level::Warn,
                format!("server not registered in {}", file.display()),
            )
            .fix(format!("palingenesis mcp install {name}")),
        };
        checks.push(c);
    }
}

/// Whether `file` holds every one of `needles`, as a JSON or TOML string would write them (a heuristic: the
/// installers have no read-only query, and this never rewrites anything).
fn mentions(file: &Path, needles: &[&str]) -> bool {
    let Ok(text) = std::fs::read_to_string(file) else {
        return false;
    };
    needles.iter().all(|n| {
        let quoted = serde_json::to_string(n).unwrap_or_default();
        text.contains(quoted.trim_matches('"'))
    })
}

/// The first line `binary --version` prints, or why there is none; never waits past [`VERSION_TIMEOUT`].
async fn version_of(binary: &Path) -> Result<String, String> {
    let run = tokio::process::Command::new(binary)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(VERSION_TIMEOUT, run).await {
        Err(_) => {
            let secs = VERSION_TIMEOUT.as_secs();
            return Err(format!("`--version` gave no answer in {secs}s"));
        }
        Ok(Err(e)) => return Err(format!("`--version` did not run: {e}")),
        Ok(Ok(out)) => out,
    };
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) if out.status.success() => Ok(format!("version {line}")),
        _ => Err(format!("`--version` failed ({})", out.status)),
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

fn service_check(service_path: &ServicePath) -> Check {
    let path_text = service_path
        .value
        .as_deref()
        .unwrap_or("(service manager default)");
    match &service_path.installed {
        Some(file) => check(
            "service",
            Level::Ok,
            format!("installed at {}; its PATH: {path_text}", file.display()),
        ),
        None if ServiceKind::detect().is_none() => check(
            "service",
            Level::Warn,
            "no supported service manager (systemd or launchd) on this platform",
        ),
        None => check(
            "service",
            Level::Warn,
            format!("not installed; `service install` would give it PATH: {path_text}"),
        )
        .fix("palingenesis service install"),
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

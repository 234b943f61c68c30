//! The doctor's checks of one assistant: its binary and version against the tested range, whether the
//! service's PATH finds it, its hooks and its MCP registration (the installers' own read-only queries).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::adapter::{Adapter, Installed, Version};
use crate::cli::commands::installers::{self, Status};
use crate::config::{self, Config};

use super::{Check, Level, check};

/// How long an assistant's `--version` may take before it is given up on (and killed).
const VERSION_TIMEOUT: Duration = Duration::from_secs(3);

/// An assistant as found on this machine: what `doctor` and `setup` both start from.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// The binary, when found (on PATH, or where `<name>.binary` says).
    pub binary: Result<PathBuf, String>,
    /// What runs it: `<name>.binary`, else its name.
    pub wanted: String,
    /// Whether the config names it (`binary`, or `[monitoring] assistants`): then missing is a failure.
    pub expected: bool,
}

/// Where the assistant's binary is, as its resumer would run it: `<name>.binary`, else its name on PATH.
pub(crate) fn find(adapter: &dyn Adapter, config: &Config) -> Found {
    let assistant = adapter.assistant();
    let configured = config
        .section(assistant)
        .get("binary")
        .and_then(|b| b.as_str())
        .map(str::to_string);
    let expected = configured.is_some() || config.listed(assistant) == Some(true);
    // Without `binary`, each resumer runs the assistant by its own name (`binary_or(…, name)`).
    let wanted = configured.unwrap_or_else(|| assistant.as_str().to_string());
    let path = std::env::var_os("PATH").unwrap_or_default();
    Found {
        binary: config::locate(&wanted, &path),
        wanted,
        expected,
    }
}

/// The version line `--version` prints, and how it stands against the tested range.
pub(crate) async fn version_check(adapter: &dyn Adapter, binary: &Path) -> (Level, String) {
    let line = match version_of(binary).await {
        Ok(line) => line,
        Err(why) => return (Level::Warn, why),
    };
    let Some(range) = adapter.tested_versions() else {
        return (Level::Ok, format!("version {line}"));
    };
    match Version::find_in(&line).map(|v| (v, range.contains(v))) {
        Some((_, Some(true))) => (Level::Ok, format!("version {line}, tested {range}")),
        Some((v, _)) => (
            Level::Warn,
            format!("version {v} is outside the tested range {range} (`{line}`)"),
        ),
        None => (
            Level::Warn,
            format!("version `{line}` not understood; tested {range}"),
        ),
    }
}

pub(super) async fn checks(
    adapter: &dyn Adapter,
    config: &Config,
    exe: &Path,
    service_path: Option<&str>,
    checks: &mut Vec<Check>,
) {
    let name = adapter.assistant().as_str();
    let found = find(adapter, config);
    let binary = match &found.binary {
        Ok(b) => b.clone(),
        Err(why) => {
            // Not installed is fine unless the config says it is used.
            let wanted = &found.wanted;
            checks.push(match found.expected {
                true => check(name, Level::Fail, format!("binary `{wanted}`: {why}")).fix(format!(
                    "install it, or set `{name}.binary` to where it is (`palingenesis config set {name}.binary PATH`)"
                )),
                false => check(name, Level::Ok, format!("not installed (`{wanted}`: {why})")),
            });
            // Without it, hooks and MCP registrations are worth a line only when they are there.
            installations(adapter, exe, false, checks);
            return;
        }
    };
    let (level, detail) = version_check(adapter, &binary).await;
    let c = check(name, level, format!("{} ({detail})", binary.display()));
    checks.push(match level {
        Level::Ok => c,
        _ if detail.contains("outside the tested range") => c.fix(
            "palingenesis may misread this version: install a tested one, or report what differs",
        ),
        _ => c.fix(format!("check that `{} --version` runs", binary.display())),
    });
    let configured = found.wanted != name;
    if let Some(service_value) = service_path
        && !configured
        && config::locate(&found.wanted, OsStr::new(service_value)).is_err()
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
    installations(adapter, exe, true, checks);
}

/// Its hooks' and MCP registration's checks; `missing_too`: also when they are not installed.
fn installations(adapter: &dyn Adapter, exe: &Path, missing_too: bool, checks: &mut Vec<Check>) {
    let hooks = installers::hooks_status(adapter, exe).map(|s| (s, "hooks"));
    let mcp = installers::mcp_status(adapter, exe).map(|s| (s, "mcp"));
    for (s, what) in hooks.into_iter().chain(mcp) {
        if missing_too || s.installed != Some(Installed::No) {
            checks.push(installation(&s, what));
        }
    }
}

/// A hooks or MCP status as a check: installed is ok, missing or outdated a warning, unreadable a failure.
fn installation(s: &Status, what: &str) -> Check {
    let name = format!("{} {what}", s.assistant);
    let install = format!("palingenesis {what} install {}", s.assistant);
    match s.installed {
        Some(Installed::Yes) => check(name, Level::Ok, s.describe()),
        Some(_) => check(name, Level::Warn, s.describe()).fix(install),
        None => check(name, Level::Fail, s.describe())
            .fix(format!("fix or move the file, then `{install}`")),
    }
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
        Some(line) if out.status.success() => Ok(line.to_string()),
        _ => Err(format!("`--version` failed ({})", out.status)),
    }
}

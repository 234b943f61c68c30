//! What `hooks`, `mcp install`, `doctor` and `setup` share: what each assistant's installers are given, and
//! their read-only status queries, so every command reports an installation the same way.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use serde::Serialize;

use crate::adapter::{Adapter, HookChange, Installed, McpChange, McpServerSpec};
use crate::cli::render;
use crate::model::Assistant;

/// This executable, which hooks and MCP servers are set up to run.
pub(crate) fn exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("locating the palingenesis executable")
}

/// `palingenesis mcp` as an assistant is to launch it. The server must reach the daemon this command would:
/// a relocated home is carried along.
pub(crate) fn mcp_server(exe: &Path) -> McpServerSpec {
    let env = std::env::var(crate::paths::HOME_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| (crate::paths::HOME_ENV.to_string(), v))
        .into_iter()
        .collect();
    McpServerSpec {
        command: exe.to_path_buf(),
        args: vec!["mcp".into()],
        env,
    }
}

/// One assistant's installation, as `hooks status`, `mcp status`, `doctor` and `setup` report it.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct Status {
    pub assistant: Assistant,
    /// The file it is (or would be) installed in.
    pub file: PathBuf,
    /// `None` when the file could not be read (`error` says why).
    pub installed: Option<Installed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Status {
    fn of(assistant: Assistant, file: PathBuf, r: Result<Installed, String>) -> Status {
        let (installed, error) = match r {
            Ok(i) => (Some(i), None),
            Err(e) => (None, Some(e)),
        };
        Status {
            assistant,
            file,
            installed,
            error,
        }
    }

    /// `installed in FILE`, `installed differently in FILE`, `not installed in FILE`, or the error.
    pub fn describe(&self) -> String {
        let file = self.file.display();
        match (&self.installed, &self.error) {
            (Some(Installed::Yes), _) => format!("installed in {file}"),
            (Some(Installed::Outdated), _) => {
                format!("installed in {file}, but for another executable or an older version")
            }
            (Some(Installed::No), _) => format!("not installed in {file}"),
            (None, e) => e.clone().unwrap_or_default(),
        }
    }
}

/// A status query: [`hooks_status`] or [`mcp_status`].
pub(crate) type StatusOf = fn(&dyn Adapter, &Path) -> Option<Status>;

/// `hooks status` / `mcp status`: every assistant that has `what` (or the one named).
pub(crate) fn status_command(
    only: Option<Assistant>,
    json: bool,
    what: &str,
    status_of: StatusOf,
) -> anyhow::Result<u8> {
    let exe = exe()?;
    let statuses: Vec<Status> = chosen(only)
        .filter_map(|adapter| status_of(adapter, &exe))
        .collect();
    if statuses.is_empty() {
        let which = only.map(|a| a.to_string()).unwrap_or_default();
        anyhow::bail!("{which} has no {what} palingenesis can install");
    }
    print_statuses(&statuses, what, json)
}

/// Its hooks' status, if it has hooks.
pub(crate) fn hooks_status(adapter: &dyn Adapter, exe: &Path) -> Option<Status> {
    let hooks = adapter.hooks()?;
    let r = hooks
        .installed(&hooks.command_for(exe))
        .map_err(|e| e.to_string());
    Some(Status::of(adapter.assistant(), hooks.settings_path(), r))
}

/// Its MCP registration's status, if palingenesis can register with it.
pub(crate) fn mcp_status(adapter: &dyn Adapter, exe: &Path) -> Option<Status> {
    let mcp = adapter.mcp()?;
    let r = mcp.installed(&mcp_server(exe)).map_err(|e| e.to_string());
    Some(Status::of(adapter.assistant(), mcp.config_path(), r))
}

/// What an install or uninstall did, in one shape for hooks and MCP.
#[derive(Serialize, Debug)]
pub(crate) struct Change {
    pub assistant: Assistant,
    pub file: PathBuf,
    /// Whether it is installed now.
    pub installed: bool,
    /// Whether the file was written.
    pub changed: bool,
    /// Where the previous file is kept, when it was written.
    pub backup: Option<PathBuf>,
}

impl Change {
    /// `written`: `Some(backup)` when the file was written.
    fn new(
        assistant: Assistant,
        file: PathBuf,
        installed: bool,
        written: Option<Option<PathBuf>>,
    ) -> Change {
        Change {
            assistant,
            file,
            installed,
            changed: written.is_some(),
            backup: written.flatten(),
        }
    }
}

/// Install (or remove) its hooks.
pub(crate) fn change_hooks(assistant: Assistant, install: bool) -> anyhow::Result<Change> {
    let Some(hooks) = crate::assistants::get(assistant).and_then(|a| a.hooks()) else {
        return Err(anyhow!(
            "{assistant} has no hook mechanism palingenesis uses; it is watched through its files and API instead"
        ));
    };
    let change = if install {
        hooks.install(&hooks.command_for(&exe()?))
    } else {
        hooks.uninstall()
    }
    .map_err(|e| anyhow!("{e}"))?;
    let written = match change {
        HookChange::Written { backup } => Some(backup),
        HookChange::Unchanged => None,
    };
    Ok(Change::new(
        assistant,
        hooks.settings_path(),
        install,
        written,
    ))
}

/// Register (or remove) the MCP server.
pub(crate) fn change_mcp(assistant: Assistant, install: bool) -> anyhow::Result<Change> {
    let Some(mcp) = crate::assistants::get(assistant).and_then(|a| a.mcp()) else {
        return Err(anyhow!(
            "palingenesis does not know how to register an MCP server with {assistant}"
        ));
    };
    let change = if install {
        mcp.install(&mcp_server(&exe()?))
    } else {
        mcp.uninstall()
    }
    .map_err(|e| anyhow!("{e}"))?;
    let written = match change {
        McpChange::Changed { backup } => Some(backup),
        McpChange::Unchanged => None,
    };
    Ok(Change::new(assistant, mcp.config_path(), install, written))
}

/// `hooks status` / `mcp status`: one line per assistant (`{"installations": [Status…]}` with `--json`); exit
/// 1 when a file could not be read.
fn print_statuses(statuses: &[Status], what: &str, json: bool) -> anyhow::Result<u8> {
    if json {
        render::json(&serde_json::json!({ "installations": statuses }))?;
    } else {
        for s in statuses {
            let fix = match s.installed {
                Some(Installed::Yes) | None => String::new(),
                Some(_) => format!(" (`palingenesis {what} install {}`)", s.assistant),
            };
            println!("{:<9} {}{fix}", s.assistant.as_str(), s.describe());
        }
    }
    let unreadable = statuses.iter().any(|s| s.error.is_some());
    Ok(if unreadable {
        crate::cli::exit::FAILURE
    } else {
        crate::cli::exit::OK
    })
}

/// The adapters a status command covers: the one named, or all of them.
fn chosen(only: Option<Assistant>) -> impl Iterator<Item = &'static dyn Adapter> {
    crate::assistants::all()
        .iter()
        .copied()
        .filter(move |a| only.is_none_or(|o| o == a.assistant()))
}

//! Which sources run and which resumers serve each assistant, decided from the config and the machine.
//! With `[monitoring].assistants` empty every assistant is watched: a watcher whose directory does not exist
//! yet waits for it cheaply, so an assistant installed after the daemon started is picked up.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::audit::AuditWriter;
use crate::config::Config;
use crate::engine::EngineMsg;
use crate::model::Assistant;
use crate::protocol::WatchInfo;
use crate::resume::Resumers;
use crate::sources::opencode::OpencodePlan;

/// The sources to run.
#[derive(Debug, Clone, Default)]
pub struct SourcePlan {
    /// Claude Code transcript root.
    pub claude_projects: Option<PathBuf>,
    /// opencode's server and database.
    pub opencode: Option<OpencodePlan>,
}

impl SourcePlan {
    pub fn watch_info(&self) -> Vec<WatchInfo> {
        let mut out = Vec::new();
        if let Some(p) = &self.claude_projects {
            out.push(WatchInfo {
                assistant: Assistant::Claude,
                source: "transcripts".into(),
                location: describe(p),
            });
        }
        if let Some(o) = &self.opencode {
            out.extend(o.watch_info());
        }
        out
    }
}

/// A path, noting when it does not exist yet.
pub fn describe(p: &std::path::Path) -> String {
    if p.exists() {
        p.display().to_string()
    } else {
        format!("{} (not present yet)", p.display())
    }
}

/// Claude Code's transcript root: config, else `$CLAUDE_CONFIG_DIR/projects`, else `~/.claude/projects`.
pub fn claude_projects_dir(config: &Config) -> PathBuf {
    if let Some(p) = &config.claude.projects_dir {
        return expand_home(p);
    }
    if let Some(dir) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("projects");
    }
    crate::claude_hooks::home().join(".claude").join("projects")
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(p: &std::path::Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => crate::claude_hooks::home().join(rest),
        Err(_) => p.to_path_buf(),
    }
}

pub fn plan(config: &Config) -> SourcePlan {
    SourcePlan {
        claude_projects: config
            .watches(Assistant::Claude, true)
            .then(|| claude_projects_dir(config)),
        opencode: crate::sources::opencode::plan(config),
    }
}

pub fn resumers(config: &Config, plan: &SourcePlan) -> Resumers {
    let mut r = Resumers::default();
    if let Some(dir) = &plan.claude_projects {
        r = r.with(
            Assistant::Claude,
            crate::resume::claude::ClaudeHeadless::new(config, dir.clone()),
        );
    }
    if let Some(o) = &plan.opencode {
        r = r.with(
            Assistant::Opencode,
            crate::resume::opencode::OpencodeResumer::new(config, o.link.clone()),
        );
    }
    r
}

/// Start every planned source; each feeds observations to the engine until `stop`.
pub fn spawn(
    plan: &SourcePlan,
    config: &Config,
    offsets: &BTreeMap<PathBuf, u64>,
    engine: mpsc::Sender<EngineMsg>,
    audit: &AuditWriter,
    tracker: &TaskTracker,
    stop: CancellationToken,
) {
    if let Some(root) = &plan.claude_projects {
        let mine: HashMap<PathBuf, u64> = offsets
            .iter()
            .filter(|(p, _)| p.starts_with(root))
            .map(|(p, o)| (p.clone(), *o))
            .collect();
        crate::sources::claude::spawn(
            root.clone(),
            mine,
            config,
            engine.clone(),
            tracker,
            stop.clone(),
        );
    }
    if let Some(o) = &plan.opencode {
        o.spawn(config, offsets, engine, audit, tracker, stop);
    }
}

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
    /// Codex rollout root (`<CODEX_HOME>/sessions`).
    pub codex_sessions: Option<PathBuf>,
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
        if let Some(p) = &self.codex_sessions {
            out.push(WatchInfo {
                assistant: Assistant::Codex,
                source: "rollouts".into(),
                location: describe(p),
            });
        }
        if let Some(o) = &self.opencode {
            out.extend(o.watch_info());
        }
        out
    }
}

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
    crate::paths::user_home().join(".claude").join("projects")
}

/// Codex's home: config `[codex] home`, else `$CODEX_HOME`, else `~/.codex`.
pub fn codex_home(config: &Config) -> PathBuf {
    if let Some(p) = &config.codex.home {
        return expand_home(p);
    }
    if let Some(dir) = std::env::var_os("CODEX_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    crate::paths::user_home().join(".codex")
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(p: &std::path::Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => crate::paths::user_home().join(rest),
        Err(_) => p.to_path_buf(),
    }
}

pub fn plan(config: &Config) -> SourcePlan {
    SourcePlan {
        claude_projects: config
            .watches(Assistant::Claude, true)
            .then(|| claude_projects_dir(config)),
        codex_sessions: config
            .watches(Assistant::Codex, true)
            .then(|| codex_home(config).join("sessions")),
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
    if plan.codex_sessions.is_some() {
        r = r.with(
            Assistant::Codex,
            crate::resume::codex::CodexHeadless::new(config),
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

/// Start every planned source; each feeds observations to the engine until `stop`. Returns one receiver per
/// source that fires once the source is in place.
pub fn spawn(
    plan: &SourcePlan,
    config: &Config,
    offsets: &BTreeMap<PathBuf, u64>,
    engine: mpsc::Sender<EngineMsg>,
    audit: &AuditWriter,
    tracker: &TaskTracker,
    stop: CancellationToken,
) -> Vec<tokio::sync::oneshot::Receiver<()>> {
    let mut ready = Vec::new();
    let mut next_ready = || {
        let (tx, rx) = tokio::sync::oneshot::channel();
        ready.push(rx);
        tx
    };
    let mine = |root: &PathBuf| -> HashMap<PathBuf, u64> {
        offsets
            .iter()
            .filter(|(p, _)| p.starts_with(root))
            .map(|(p, o)| (p.clone(), *o))
            .collect()
    };
    if let Some(root) = &plan.claude_projects {
        crate::sources::claude::spawn(
            root.clone(),
            mine(root),
            config,
            engine.clone(),
            tracker,
            stop.clone(),
            next_ready(),
        );
    }
    if let Some(root) = &plan.codex_sessions {
        crate::sources::codex::spawn(
            root.clone(),
            mine(root),
            config,
            engine.clone(),
            tracker,
            stop.clone(),
            next_ready(),
        );
    }
    if let Some(o) = &plan.opencode {
        o.spawn(config, offsets, engine, audit, tracker, stop);
    }
    ready
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_is_watched_without_configuration_and_its_home_is_configurable() {
        let mut config = Config::default();
        assert!(plan(&config).codex_sessions.is_some());
        config.codex.home = Some(PathBuf::from("/srv/codex-home"));
        let p = plan(&config);
        assert_eq!(
            p.codex_sessions.as_deref(),
            Some(std::path::Path::new("/srv/codex-home/sessions"))
        );
        let info = p.watch_info();
        assert!(info.iter().any(|w| w.assistant == Assistant::Codex
            && w.source == "rollouts"
            && w.location.starts_with("/srv/codex-home/sessions")));
        assert!(resumers(&config, &p).get(Assistant::Codex).is_some());

        config.monitoring.assistants = vec![Assistant::Claude];
        let p = plan(&config);
        assert!(p.codex_sessions.is_none());
        assert!(resumers(&config, &p).get(Assistant::Codex).is_none());
    }
}

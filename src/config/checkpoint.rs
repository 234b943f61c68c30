//! `[checkpoint]`: asking an agent to write its next-step file before its context window fills or its usage
//! quota runs out (the early checkpoint), globally and per project.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The request an agent gets: `{percent}` (of the window in use), `{threshold}`, `{used}` and `{window}`
/// (tokens), `{next_step_file}` (its path in the project).
pub const DEFAULT_CHECKPOINT_PROMPT: &str = "palingenesis: your context window is {percent}% full ({used} of {window} tokens; the checkpoint threshold is {threshold}%). Before it runs out, write a checkpoint now: update {next_step_file} with what is done, what is in progress, the exact next steps and the files involved, so that a new session can carry on from it alone (the palingenesis MCP tool `checkpoint` writes it for you). Then go on with the task.";

/// The request an agent gets when a usage window is nearly spent: `{quota_percent}` (of the window used),
/// `{threshold}`, `{window}` (`session`, `weekly`, or `usage` when unknown), `{resets}` (when it resets, in UTC)
/// and `{next_step_file}`.
pub const DEFAULT_QUOTA_CHECKPOINT_PROMPT: &str = "palingenesis: you have used {quota_percent}% of your {window} usage limit (it resets {resets}; the checkpoint threshold is {threshold}%). Before the limit stops you, write a checkpoint now: update {next_step_file} with what is done, what is in progress, the exact next steps and the files involved, so that the work can carry on from it alone after the reset (the palingenesis MCP tool `checkpoint` writes it for you). Then go on with the task.";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CheckpointConfig {
    /// `true`: ask in every project; `false`: never; absent: only in a project that follows the next-step
    /// convention (it has the next-step file or a workflow file with `stepsCompleted` frontmatter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Ask once the context window is this full (percent).
    pub threshold_percent: u8,
    /// The context window in tokens, overriding what the assistant states or its model table says; 0: theirs.
    pub window_tokens: u64,
    /// What the agent is asked (see [`DEFAULT_CHECKPOINT_PROMPT`] for the placeholders).
    pub prompt: String,
    /// Ask once a usage window (the session or weekly limit) is this much spent, as the assistant's records
    /// say (percent; 0: never).
    pub quota_percent: u8,
    /// What the agent is asked then (see [`DEFAULT_QUOTA_CHECKPOINT_PROMPT`] for the placeholders).
    pub quota_prompt: String,
    /// Per project directory (absolute path): `enabled`, `threshold_percent`, `prompt`, `quota_percent`,
    /// `quota_prompt` for sessions in it or below it (the longest matching path wins).
    pub projects: BTreeMap<PathBuf, ProjectCheckpoint>,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            enabled: None,
            threshold_percent: 85,
            window_tokens: 0,
            prompt: DEFAULT_CHECKPOINT_PROMPT.into(),
            quota_percent: 90,
            quota_prompt: DEFAULT_QUOTA_CHECKPOINT_PROMPT.into(),
            projects: BTreeMap::new(),
        }
    }
}

/// One project's overrides of `[checkpoint]`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectCheckpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_percent: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota_percent: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota_prompt: Option<String>,
}

/// Whether a project's sessions are asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enabled {
    Yes,
    No,
    /// Only if the project follows the next-step convention.
    IfConvention,
}

/// `[checkpoint]` as it applies to one project.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectPolicy {
    pub enabled: Enabled,
    pub threshold_percent: u8,
    pub prompt: String,
    /// 0: the quota never triggers a request.
    pub quota_percent: u8,
    pub quota_prompt: String,
}

impl CheckpointConfig {
    /// The settings for a session whose project directory is `cwd` (unknown: the global ones).
    pub fn for_project(&self, cwd: Option<&Path>) -> ProjectPolicy {
        // The deepest project directory containing the session's.
        let project = super::projects::containing(&self.projects, cwd)
            .last()
            .copied();
        let enabled = project.and_then(|p| p.enabled).or(self.enabled);
        ProjectPolicy {
            enabled: match enabled {
                Some(true) => Enabled::Yes,
                Some(false) => Enabled::No,
                None => Enabled::IfConvention,
            },
            threshold_percent: project
                .and_then(|p| p.threshold_percent)
                .unwrap_or(self.threshold_percent),
            prompt: project
                .and_then(|p| p.prompt.clone())
                .unwrap_or_else(|| self.prompt.clone()),
            quota_percent: project
                .and_then(|p| p.quota_percent)
                .unwrap_or(self.quota_percent),
            quota_prompt: project
                .and_then(|p| p.quota_prompt.clone())
                .unwrap_or_else(|| self.quota_prompt.clone()),
        }
    }

    /// The first setting that makes no sense, as (key, why).
    pub fn check(&self) -> Option<(String, String)> {
        let bad_pct = |p: u8| !(1..=100).contains(&p);
        if bad_pct(self.threshold_percent) {
            return Some((
                "checkpoint.threshold_percent".into(),
                "must be 1 to 100".into(),
            ));
        }
        let quota_off_or = |p: u8| (p > 100).then(|| "must be 0 (off) to 100".to_owned());
        if let Some(why) = quota_off_or(self.quota_percent) {
            return Some(("checkpoint.quota_percent".into(), why));
        }
        for (dir, p) in &self.projects {
            let key = format!("checkpoint.projects.\"{}\"", dir.display());
            if !dir.is_absolute() {
                return Some((key, "a project is named by its absolute path".into()));
            }
            if p.threshold_percent.is_some_and(bad_pct) {
                return Some((
                    format!("{key}.threshold_percent"),
                    "must be 1 to 100".into(),
                ));
            }
            if let Some(why) = p.quota_percent.and_then(quota_off_or) {
                return Some((format!("{key}.quota_percent"), why));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> CheckpointConfig {
        toml::from_str(text).expect("parses")
    }

    #[test]
    fn the_longest_matching_project_overrides_the_global_settings() {
        let c = config(
            r#"
            threshold_percent = 80
            [projects."/work"]
            enabled = false
            [projects."/work/app"]
            enabled = true
            threshold_percent = 70
            "#,
        );
        let global = c.for_project(Some(Path::new("/elsewhere")));
        assert_eq!(global.enabled, Enabled::IfConvention);
        assert_eq!(global.threshold_percent, 80);
        assert_eq!(global.prompt, DEFAULT_CHECKPOINT_PROMPT);
        assert_eq!(
            c.for_project(Some(Path::new("/work/lib"))).enabled,
            Enabled::No
        );
        let app = c.for_project(Some(Path::new("/work/app/src")));
        assert_eq!((app.enabled, app.threshold_percent), (Enabled::Yes, 70));
        assert_eq!(c.for_project(None).enabled, Enabled::IfConvention);
        assert_eq!(c.check(), None);
    }

    #[test]
    fn the_quota_threshold_defaults_to_90_and_is_set_per_project() {
        let c = config(
            r#"
            quota_percent = 80
            [projects."/work"]
            quota_percent = 0
            [projects."/work/app"]
            quota_prompt = "checkpoint at {quota_percent}"
            "#,
        );
        assert_eq!(CheckpointConfig::default().quota_percent, 90);
        let global = c.for_project(Some(Path::new("/elsewhere")));
        assert_eq!(global.quota_percent, 80);
        assert_eq!(global.quota_prompt, DEFAULT_QUOTA_CHECKPOINT_PROMPT);
        assert_eq!(c.for_project(Some(Path::new("/work/lib"))).quota_percent, 0);
        let app = c.for_project(Some(Path::new("/work/app")));
        assert_eq!(
            app.quota_percent, 80,
            "the deepest project only sets its prompt"
        );
        assert_eq!(app.quota_prompt, "checkpoint at {quota_percent}");
        assert_eq!(c.check(), None);
        assert_eq!(
            config("quota_percent = 101").check().unwrap().0,
            "checkpoint.quota_percent"
        );
        assert_eq!(
            config("[projects.\"/a\"]\nquota_percent = 120")
                .check()
                .unwrap()
                .0,
            "checkpoint.projects.\"/a\".quota_percent"
        );
    }

    #[test]
    fn bad_thresholds_and_relative_projects_are_named() {
        assert_eq!(
            config("threshold_percent = 0").check().unwrap().0,
            "checkpoint.threshold_percent"
        );
        let rel = config("[projects.\"app\"]\nenabled = true");
        assert!(rel.check().unwrap().1.contains("absolute"));
        let bad = config("[projects.\"/app\"]\nthreshold_percent = 101");
        assert_eq!(
            bad.check().unwrap().0,
            "checkpoint.projects.\"/app\".threshold_percent"
        );
    }
}

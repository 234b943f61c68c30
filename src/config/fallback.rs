//! `[fallback]`: when a session is stopped by a usage limit that resets far away (a weekly limit), continue
//! the work in another assistant that still has quota, seeded from the project's next-step notes. Off by
//! default; `[fallback.projects."<dir>"]` overrides any key for the sessions in that directory (or below it;
//! nested projects apply outermost first).
//!
//! It never spends money: the other assistant is started through its adapter's ordinary new-session command,
//! with only the `extra_args` its own section names (no model switch, no credit redemption, no paid overage,
//! never a permission-bypass flag).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::Assistant;

/// The longest `after_hours` accepted (two weeks: longer than any limit window).
const MAX_AFTER_HOURS: u64 = 24 * 14;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FallbackConfig {
    /// Hand work off at all (per project: `projects."<dir>".enabled`).
    pub enabled: bool,
    /// A limit whose reset is more than this many hours away qualifies.
    pub after_hours: u64,
    /// Assistants to hand the work to, in order of preference.
    pub assistants: Vec<Assistant>,
    /// The new session's prompt (same placeholders as `new_session.prompt_template`); unset: that template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_template: Option<String>,
    /// What happens to the handed-off session when its limit resets.
    pub at_reset: AtReset,
    /// Per-project overrides, by project directory (absolute): each one containing the session's directory
    /// applies, the deepest last.
    pub projects: BTreeMap<PathBuf, ProjectFallback>,
}

impl Default for FallbackConfig {
    fn default() -> Self {
        FallbackConfig {
            enabled: false,
            after_hours: 6,
            assistants: Vec::new(),
            prompt_template: None,
            at_reset: AtReset::Notify,
            projects: BTreeMap::new(),
        }
    }
}

/// What happens to a handed-off session when its limit resets.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AtReset {
    /// Tell a human (`NeedsAttention`); resuming it is their call.
    #[default]
    Notify,
    /// Resume it in place, unless the session it was handed to is still at work (then tell a human).
    Resume,
}

/// What one project changes; unset keys keep the `[fallback]` value.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectFallback {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_hours: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assistants: Option<Vec<Assistant>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_reset: Option<AtReset>,
}

/// The settings in force for one project.
#[derive(Clone, Debug, PartialEq)]
pub struct FallbackSettings {
    pub enabled: bool,
    pub after_hours: u64,
    pub assistants: Vec<Assistant>,
    pub prompt_template: Option<String>,
    pub at_reset: AtReset,
}

impl FallbackConfig {
    /// The settings for a session working in `cwd` (unknown: the `[fallback]` values).
    pub fn for_project(&self, cwd: Option<&Path>) -> FallbackSettings {
        let mut s = FallbackSettings {
            enabled: self.enabled,
            after_hours: self.after_hours,
            assistants: self.assistants.clone(),
            prompt_template: self.prompt_template.clone(),
            at_reset: self.at_reset,
        };
        // Every project directory containing the session's applies, the deepest last (so it wins).
        for p in super::projects::containing(&self.projects, cwd) {
            s.enabled = p.enabled.unwrap_or(s.enabled);
            s.after_hours = p.after_hours.unwrap_or(s.after_hours);
            if let Some(a) = &p.assistants {
                s.assistants = a.clone();
            }
            if p.prompt_template.is_some() {
                s.prompt_template = p.prompt_template.clone();
            }
            s.at_reset = p.at_reset.unwrap_or(s.at_reset);
        }
        s
    }

    /// Whether any project can hand work off (the engine looks at other assistants only then).
    pub fn anywhere(&self) -> bool {
        self.enabled || self.projects.values().any(|p| p.enabled == Some(true))
    }

    /// The offending key and why, if any.
    pub fn validate(&self) -> Result<(), (String, String)> {
        check_keys(
            "fallback",
            Some(self.after_hours),
            Some(&self.assistants),
            self.prompt_template.as_deref(),
        )?;
        for (dir, p) in &self.projects {
            let key = format!("fallback.projects.\"{}\"", dir.display());
            if !dir.is_absolute() {
                return Err((key, "must be an absolute project directory".into()));
            }
            check_keys(
                &key,
                p.after_hours,
                p.assistants.as_ref(),
                p.prompt_template.as_deref(),
            )?;
        }
        Ok(())
    }
}

fn check_keys(
    section: &str,
    after_hours: Option<u64>,
    assistants: Option<&Vec<Assistant>>,
    template: Option<&str>,
) -> Result<(), (String, String)> {
    if let Some(h) = after_hours
        && h > MAX_AFTER_HOURS
    {
        return Err((
            format!("{section}.after_hours"),
            format!("must be at most {MAX_AFTER_HOURS} (two weeks), got {h}"),
        ));
    }
    for (i, name) in assistants.into_iter().flatten().enumerate() {
        if crate::assistants::get(*name).is_none() {
            return Err((
                format!("{section}.assistants"),
                format!(
                    "entry {i}: unknown assistant `{name}` (expected {})",
                    crate::assistants::names().join(", ")
                ),
            ));
        }
    }
    if let Some(t) = template
        && !t.contains("{next_step}")
    {
        return Err((
            format!("{section}.prompt_template"),
            "must contain {next_step}".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<crate::config::Config, String> {
        crate::config::load_from_str(text, Path::new("t.toml"), &[]).map_err(|e| e.to_string())
    }

    #[test]
    fn off_by_default() {
        let c = config("").unwrap();
        assert!(!c.fallback.enabled && !c.fallback.anywhere());
        assert_eq!(c.fallback.after_hours, 6);
        assert!(!c.fallback.for_project(Some(Path::new("/p"))).enabled);
    }

    #[test]
    fn projects_containing_the_session_override_the_deepest_last() {
        let c = config(
            r#"
[fallback]
after_hours = 8
assistants = ["codex"]
[fallback.projects."/work"]
enabled = true
[fallback.projects."/work/app"]
assistants = ["opencode", "qwen"]
after_hours = 2
at_reset = "resume"
"#,
        )
        .unwrap();
        assert!(c.fallback.anywhere());
        let app = c.fallback.for_project(Some(Path::new("/work/app/src")));
        assert!(app.enabled);
        assert_eq!(app.after_hours, 2);
        assert_eq!(app.assistants.len(), 2);
        assert_eq!(app.at_reset, AtReset::Resume);
        let other = c.fallback.for_project(Some(Path::new("/work/other")));
        assert!(other.enabled);
        assert_eq!(other.after_hours, 8);
        assert_eq!(other.assistants[0].as_str(), "codex");
        assert_eq!(other.at_reset, AtReset::Notify);
        // `/workshop` is not inside `/work`.
        assert!(!c.fallback.for_project(Some(Path::new("/workshop"))).enabled);
        assert!(!c.fallback.for_project(None).enabled);
    }

    #[test]
    fn bad_values_name_their_key() {
        let unknown = config("[fallback]\nassistants = [\"codex\", \"cursor\"]\n").unwrap_err();
        assert!(
            unknown.contains("fallback.assistants")
                && unknown.contains("entry 1: unknown assistant `cursor`")
                && unknown.contains("claude"),
            "{unknown}"
        );
        let relative = config("[fallback.projects.\"work/app\"]\nenabled = true\n").unwrap_err();
        assert!(relative.contains("absolute"), "{relative}");
        let in_project =
            config("[fallback.projects.\"/w\"]\nassistants = [\"nobody\"]\n").unwrap_err();
        assert!(
            in_project.contains("unknown assistant `nobody`"),
            "{in_project}"
        );
        let template = config("[fallback]\nprompt_template = \"go on\"\n").unwrap_err();
        assert!(template.contains("{next_step}"), "{template}");
        let far = config("[fallback]\nafter_hours = 10000\n").unwrap_err();
        assert!(far.contains("fallback.after_hours"), "{far}");
    }
}

//! The early checkpoint: when to ask an agent to write its next-step file before its context window fills
//! or its usage quota runs out, and what to ask. [`due`], [`quota_due`], [`request_text`] and
//! [`quota_request_text`] are pure; [`follows_convention`] looks at the project (blocking I/O).

use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{ContextUse, QuotaUse, UsageWindow};

/// A checkpoint request that is due: the threshold crossed and how full the context is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub threshold: u8,
    pub percent: u8,
    pub used_tokens: u64,
    pub window_tokens: u64,
}

/// Whether `usage` crosses `threshold` (percent of `window`, else of the window the assistant recorded) and
/// that threshold has not been asked about in this session yet (`asked`).
pub fn due(usage: ContextUse, window: Option<u64>, threshold: u8, asked: &[u8]) -> Option<Due> {
    let window_tokens = window.or(usage.window_tokens).filter(|w| *w > 0)?;
    let percent = usage.percent_of(Some(window_tokens))?;
    (percent >= threshold && !asked.contains(&threshold)).then_some(Due {
        threshold,
        percent,
        used_tokens: usage.used_tokens,
        window_tokens,
    })
}

/// The request an agent gets, from the configured template.
pub fn request_text(template: &str, due: &Due, next_step_file: &Path) -> String {
    template
        .replace("{percent}", &due.percent.to_string())
        .replace("{threshold}", &due.threshold.to_string())
        .replace("{used}", &due.used_tokens.to_string())
        .replace("{window}", &due.window_tokens.to_string())
        .replace("{next_step_file}", &next_step_file.display().to_string())
}

/// A quota threshold a session was asked about, in one usage window: once per window, and again in the
/// window's next period (a later reset).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaAsked {
    pub window: UsageWindow,
    pub threshold: u8,
    /// When the window's period it was asked in resets (unknown: the request is never asked again for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<DateTime<Utc>>,
}

impl QuotaAsked {
    /// Whether this marks `due` as asked: the same window and threshold in the same period. A period is a
    /// later one when its reset is more than an hour after the one asked in (the shortest window, 5 hours,
    /// moves by its length; a reset stated in whole minutes or seconds from now moves by less).
    pub fn covers(&self, due: &QuotaDue) -> bool {
        let later_period = match (self.resets_at, due.quota.resets_at) {
            (Some(then), Some(now)) => now > then + TimeDelta::hours(1),
            _ => false,
        };
        self.window == due.quota.window && self.threshold == due.threshold && !later_period
    }
}

/// A checkpoint request that is due because a usage window is nearly spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaDue {
    pub threshold: u8,
    pub quota: QuotaUse,
}

impl QuotaDue {
    /// What marks it as asked.
    pub fn asked(&self) -> QuotaAsked {
        QuotaAsked {
            window: self.quota.window,
            threshold: self.threshold,
            resets_at: self.quota.resets_at,
        }
    }
}

/// Whether `quota` reaches `threshold` (percent of its window; 0: never) and that window and threshold have
/// not been asked about in this session yet (`asked`). A window spent to 100% is not: the limit has been hit
/// and the agent cannot answer until it resets (that stop is the resume's business).
pub fn quota_due(quota: QuotaUse, threshold: u8, asked: &[QuotaAsked]) -> Option<QuotaDue> {
    let due = QuotaDue { threshold, quota };
    let nearly_spent = (threshold.max(1)..100).contains(&quota.percent);
    (threshold > 0 && nearly_spent && !asked.iter().any(|a| a.covers(&due))).then_some(due)
}

/// The request an agent gets when its quota is nearly spent, from the configured template:
/// `{quota_percent}`, `{threshold}`, `{window}` (`session`, `weekly`, `usage` when unknown), `{resets}`
/// (the reset instant in UTC, or "at an unknown time") and `{next_step_file}`.
pub fn quota_request_text(template: &str, due: &QuotaDue, next_step_file: &Path) -> String {
    let resets = due.quota.resets_at.map_or_else(
        || "at an unknown time".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    template
        .replace("{quota_percent}", &due.quota.percent.to_string())
        .replace("{threshold}", &due.threshold.to_string())
        .replace("{window}", due.quota.window.label())
        .replace("{resets}", &resets)
        .replace("{next_step_file}", &next_step_file.display().to_string())
}

/// Whether the project at `project` keeps its progress the way a new session is seeded from: it has the
/// next-step file, or a workflow file with progress in its frontmatter. Blocking.
pub fn follows_convention(project: &Path, cfg: &super::SeedConfig) -> bool {
    project.join(&cfg.next_step_file).is_file()
        || matches!(super::find_seed(project, cfg), Ok(Some(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn usage(used: u64, window: Option<u64>) -> ContextUse {
        ContextUse {
            used_tokens: used,
            window_tokens: window,
        }
    }

    #[rstest]
    #[case::below(usage(160_000, Some(200_000)), None, 85, &[], None)]
    #[case::at_threshold(usage(170_000, Some(200_000)), None, 85, &[], Some(85))]
    #[case::above(usage(190_000, Some(200_000)), None, 85, &[], Some(95))]
    #[case::already_asked(usage(190_000, Some(200_000)), None, 85, &[85], None)]
    #[case::asked_at_another_threshold(usage(190_000, Some(200_000)), None, 90, &[85], Some(95))]
    #[case::override_window(usage(190_000, Some(200_000)), Some(1_000_000), 85, &[], None)]
    #[case::override_gives_a_window(usage(900, None), Some(1_000), 85, &[], Some(90))]
    #[case::no_window(usage(190_000, None), None, 85, &[], None)]
    fn a_request_is_due_once_per_threshold(
        #[case] u: ContextUse,
        #[case] window: Option<u64>,
        #[case] threshold: u8,
        #[case] asked: &[u8],
        #[case] percent: Option<u8>,
    ) {
        assert_eq!(due(u, window, threshold, asked).map(|d| d.percent), percent);
    }

    #[test]
    fn the_request_names_the_numbers_and_the_file() {
        let d = due(usage(180_000, Some(200_000)), None, 85, &[]).unwrap();
        let text = request_text(
            crate::config::DEFAULT_CHECKPOINT_PROMPT,
            &d,
            Path::new("/p/Next-step.md"),
        );
        assert!(text.contains("90% full (180000 of 200000 tokens"), "{text}");
        assert!(text.contains("threshold is 85%"), "{text}");
        assert!(text.contains("update /p/Next-step.md"), "{text}");
    }

    fn quota(percent: u8, window: UsageWindow) -> QuotaUse {
        QuotaUse {
            percent,
            window,
            resets_at: None,
        }
    }

    const fn asked(window: UsageWindow, threshold: u8) -> QuotaAsked {
        QuotaAsked {
            window,
            threshold,
            resets_at: None,
        }
    }

    fn at(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().to_utc())
    }

    /// Asked at 90% of the session window in the period resetting at `then`; now at 95% with a reset at `now`.
    #[rstest]
    #[case::same_period(at("2026-12-01T10:00:00Z"), at("2026-12-01T10:00:00Z"), false)]
    #[case::same_period_reset_stated_a_little_later(
        at("2026-12-01T10:00:00Z"),
        at("2026-12-01T10:00:40Z"),
        false
    )]
    #[case::next_period(at("2026-12-01T10:00:00Z"), at("2026-12-01T15:00:00Z"), true)]
    #[case::reset_unknown_then(None, at("2026-12-01T15:00:00Z"), false)]
    #[case::reset_unknown_now(at("2026-12-01T10:00:00Z"), None, false)]
    fn a_later_period_of_the_window_is_asked_about_again(
        #[case] then: Option<DateTime<Utc>>,
        #[case] now: Option<DateTime<Utc>>,
        #[case] is_due: bool,
    ) {
        let before = QuotaAsked {
            resets_at: then,
            ..asked(UsageWindow::Session, 90)
        };
        let q = QuotaUse {
            resets_at: now,
            ..quota(95, UsageWindow::Session)
        };
        assert_eq!(quota_due(q, 90, &[before]).is_some(), is_due);
    }

    #[rstest]
    #[case::below(quota(89, UsageWindow::Session), 90, &[], false)]
    #[case::at_threshold(quota(90, UsageWindow::Session), 90, &[], true)]
    #[case::above(quota(99, UsageWindow::Weekly), 90, &[], true)]
    #[case::spent_the_limit_is_hit(quota(100, UsageWindow::Weekly), 90, &[], false)]
    #[case::off(quota(95, UsageWindow::Weekly), 0, &[], false)]
    #[case::already_asked(quota(95, UsageWindow::Session), 90, &[asked(UsageWindow::Session, 90)], false)]
    #[case::asked_in_another_window(quota(95, UsageWindow::Weekly), 90, &[asked(UsageWindow::Session, 90)], true)]
    #[case::asked_at_another_threshold(quota(96, UsageWindow::Session), 95, &[asked(UsageWindow::Session, 90)], true)]
    #[case::unknown_window(quota(91, UsageWindow::Unknown), 90, &[], true)]
    fn a_quota_request_is_due_once_per_window_and_threshold(
        #[case] q: QuotaUse,
        #[case] threshold: u8,
        #[case] asked: &[QuotaAsked],
        #[case] is_due: bool,
    ) {
        let got = quota_due(q, threshold, asked);
        assert_eq!(got.is_some(), is_due, "{got:?}");
        if let Some(d) = got {
            assert_eq!(
                d.asked(),
                QuotaAsked {
                    window: q.window,
                    threshold,
                    resets_at: None,
                }
            );
        }
    }

    #[test]
    fn the_quota_request_names_the_window_the_reset_and_the_file() {
        let resets = chrono::DateTime::parse_from_rfc3339("2026-12-03T09:00:00Z")
            .unwrap()
            .to_utc();
        let q = QuotaUse {
            resets_at: Some(resets),
            ..quota(92, UsageWindow::Weekly)
        };
        let d = quota_due(q, 90, &[]).unwrap();
        let text = quota_request_text(
            crate::config::DEFAULT_QUOTA_CHECKPOINT_PROMPT,
            &d,
            Path::new("/p/Next-step.md"),
        );
        assert!(text.contains("92% of your weekly usage limit"), "{text}");
        assert!(text.contains("resets 2026-12-03 09:00 UTC"), "{text}");
        assert!(text.contains("threshold is 90%"), "{text}");
        assert!(text.contains("update /p/Next-step.md"), "{text}");
        let unknown = quota_due(quota(95, UsageWindow::Unknown), 90, &[]).unwrap();
        let text = quota_request_text("{window} {resets}", &unknown, Path::new("/p/N.md"));
        assert_eq!(text, "usage at an unknown time");
    }

    #[test]
    fn a_project_follows_the_convention_with_a_next_step_or_workflow_file() {
        let cfg = crate::nextstep::SeedConfig {
            next_step_file: "Next-step.md".into(),
            workflow_files: vec!["workflow.md".into()],
            prompt_template: "{next_step}".into(),
        };
        let dir = tempfile::tempdir().unwrap();
        assert!(!follows_convention(dir.path(), &cfg));
        std::fs::write(dir.path().join("workflow.md"), "# no frontmatter\n").unwrap();
        assert!(!follows_convention(dir.path(), &cfg));
        std::fs::write(
            dir.path().join("workflow.md"),
            "---\nstepsCompleted: [1]\n---\n## Step 2: go\n",
        )
        .unwrap();
        assert!(follows_convention(dir.path(), &cfg));
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("Next-step.md"), "").unwrap();
        assert!(follows_convention(other.path(), &cfg));
    }
}

//! The early checkpoint: when to ask an agent to write its next-step file before its context window fills,
//! and what to ask. [`due`] and [`request_text`] are pure; [`follows_convention`] looks at the project
//! (blocking I/O).

use std::path::Path;

use crate::model::ContextUse;

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

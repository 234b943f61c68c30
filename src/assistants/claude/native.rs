//! Claude Code's own auto-continue at usage limits (since 2.1.234, setting `autoContinueAtUsageLimit`): what
//! it writes to the transcript, its screens and its Notification hook, read as [`SelfContinue`] signals.
//! Wording taken from the 2.1.332 binary and observed offline (see docs/client-facts.md).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;

use crate::classify::ClassifyContext;
use crate::model::{SelfContinue, Signal};

/// `Usage limit reached · set to continue automatically at 5:23pm` (or `… again · …`, `… shortly`), and the
/// footer `Continuing automatically at 4:30pm · Esc to cancel`.
static ARMED: LazyLock<Regex> = LazyLock::new(|| {
    crate::classify::built_in(
        r"(?i)(?:set to continue automatically|continuing automatically|then continue automatically)\s+(at\s+[^·•\n]+?|shortly|when the limit resets)\s*(?:[·•]|$)",
    )
});

/// `Automatic continue cancelled · …`, `… stopped · …`, `… was turned off …`, `… did not run …`.
static ENDED: LazyLock<Regex> = LazyLock::new(|| {
    crate::classify::built_in(
        r"(?i)^\W*automatic continue (?:at the usage-limit reset )?(?:was )?(cancelled|stopped|turned off|did not run)",
    )
});

/// How a user cancels it on purpose (Esc, Ctrl-C): the session then waits for the user.
fn cancelled_by_user(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("/rate-limit-options to wait again")
        || t.contains("your session will wait for you instead")
        || t.contains("usage-limit reset was cancelled")
}

/// What one line of text (a transcript `system` line, a screen line) says about the native auto-continue.
pub fn read(text: &str, ctx: &ClassifyContext) -> Option<SelfContinue> {
    let line = text.trim();
    if ENDED.is_match(line) {
        return Some(SelfContinue::Cancelled {
            by_user: cancelled_by_user(line),
            evidence: line.to_owned(),
        });
    }
    if line
        .to_ascii_lowercase()
        .contains("press enter to continue")
    {
        // The reset passed while the machine slept: the native one is stale and waits for a key.
        return Some(SelfContinue::Cancelled {
            by_user: false,
            evidence: line.to_owned(),
        });
    }
    let when = ARMED.captures(line)?.get(1)?.as_str().trim();
    Some(SelfContinue::Armed {
        at: fire_time(when, ctx),
        evidence: line.to_owned(),
    })
}

/// `at 5:23pm`, `at Nov 27, 12:40am` → the instant (the agent's zone); `shortly` → now.
fn fire_time(when: &str, ctx: &ClassifyContext) -> Option<DateTime<Utc>> {
    let lower = when.to_ascii_lowercase();
    if lower == "shortly" {
        return Some(ctx.now);
    }
    let clock = lower.strip_prefix("at")?.trim();
    crate::classify::parse_reset(&format!("resets {clock}"), ctx).map(|(at, _)| at)
}

/// The native auto-continue fired: `Usage limit reset · Continuing automatically`.
pub fn fired(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("continuing automatically") && !t.contains(" at ") && t.contains("reset")
}

/// A Notification hook's `notification_type` about the native auto-continue.
pub fn from_notification(kind: &str, message: &str) -> Option<Signal> {
    match kind {
        "quota_auto_resume_fired" => Some(Signal::Progress),
        "quota_auto_resume_stale" | "quota_auto_resume_disabled" => {
            Some(Signal::SelfContinue(SelfContinue::Cancelled {
                by_user: false,
                evidence: if message.is_empty() {
                    kind.to_owned()
                } else {
                    message.to_owned()
                },
            }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::tz::Tz;

    use super::*;

    fn ctx() -> ClassifyContext {
        ClassifyContext::new("2026-11-30T16:05:00Z".parse().unwrap(), Tz::UTC)
    }

    fn at(s: &str) -> Option<DateTime<Utc>> {
        Some(s.parse().unwrap())
    }

    #[rstest::rstest]
    #[case(
        "Usage limit reached · set to continue automatically at 4:30pm",
        at("2026-11-30T16:30:00Z")
    )]
    #[case(
        "Usage limit reached again · set to continue automatically at 5:23pm",
        at("2026-11-30T17:23:00Z")
    )]
    #[case(
        "● Usage limit reached · set to continue automatically at 4:30pm",
        at("2026-11-30T16:30:00Z")
    )]
    #[case(
        "Continuing automatically at 4:31pm · Esc to cancel",
        at("2026-11-30T16:31:00Z")
    )]
    #[case("Continuing shortly · Esc to cancel", None)]
    #[case(
        "Usage limit reached · set to continue automatically shortly",
        at("2026-11-30T16:05:00Z")
    )]
    #[case(
        "Usage limit reached · set to continue automatically at Dec 1, 9am",
        at("2026-12-01T09:00:00Z")
    )]
    fn armed(#[case] text: &str, #[case] want: Option<DateTime<Utc>>) {
        match read(text, &ctx()) {
            Some(SelfContinue::Armed { at, .. }) => assert_eq!(at, want, "{text}"),
            None if text.starts_with("Continuing shortly") => {}
            other => panic!("{text}: {other:?}"),
        }
    }

    #[rstest::rstest]
    #[case(
        "Automatic continue cancelled · /rate-limit-options to wait again",
        true
    )]
    #[case(
        "Automatic continue cancelled. Your session will wait for you instead; /rate-limit-options can arm it again.",
        true
    )]
    #[case(
        "Automatic continue cancelled · Claude Code exited during the wait, so the task will not resume on its own when the usage limit resets (send a prompt after the reset to continue)",
        false
    )]
    #[case(
        "Automatic continue cancelled · Claude Code relaunched during the wait, so the task will not resume on its own when the usage limit resets (send a prompt then to continue)",
        false
    )]
    #[case(
        "Automatic continue cancelled · this session moved to the background, so the task will not resume on its own when the usage limit resets",
        false
    )]
    #[case(
        "Automatic continue cancelled · this session moved to Claude Desktop, so the task will not resume on its own when the usage limit resets (continue it there)",
        false
    )]
    #[case(
        "Automatic continue stopped · the usage limit now resets more than 24 hours out, so this task will not resume on its own (/rate-limit-options to wait anyway)",
        false
    )]
    #[case(
        "Automatic continue stopped after repeated usage limit hits · This task will not resume on its own (/rate-limit-options to try again)",
        false
    )]
    #[case(
        "Automatic continue was turned off · this task will not resume on its own",
        false
    )]
    #[case(
        "Automatic continue did not run · the continuation was blocked before it reached the model, so this task did not resume on its own · send a prompt to continue",
        false
    )]
    #[case("Your usage limit has reset · Press enter to continue", false)]
    fn ended(#[case] text: &str, #[case] by_user: bool) {
        match read(text, &ctx()) {
            Some(SelfContinue::Cancelled { by_user: b, .. }) => assert_eq!(b, by_user, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn other_text_says_nothing() {
        for text in [
            "You've hit your 5-hour limit · resets 5:23pm (UTC)",
            "Claude Code will continue automatically when you approve",
            "I will continue automatically after the tests pass",
        ] {
            assert_eq!(read(text, &ctx()), None, "{text}");
        }
        assert!(fired("Usage limit reset · Continuing automatically"));
        assert!(!fired("Continuing automatically at 4:31pm · Esc to cancel"));
    }
}

use chrono::{DateTime, TimeDelta, Utc};
use rstest::rstest;

use super::*;
use crate::assistants::{claude, codex, opencode};
use crate::model::Precision;

fn now() -> DateTime<Utc> {
    "2026-11-24T10:00:00Z".parse().unwrap()
}

fn usage(hours: Option<i64>, window: UsageWindow) -> StopReason {
    StopReason::UsageLimit {
        resets_at: hours.map(|h| now() + TimeDelta::hours(h)),
        window,
        precision: Precision::Minute,
    }
}

fn settings(enabled: bool, assistants: &[Assistant]) -> FallbackSettings {
    FallbackSettings {
        enabled,
        after_hours: 6,
        assistants: assistants.to_vec(),
        prompt_template: None,
        at_reset: Default::default(),
    }
}

fn available(startable: &[Assistant], limited: &[(Assistant, Option<i64>)]) -> Availability {
    Availability {
        startable: startable.iter().copied().collect(),
        limited: limited
            .iter()
            .map(|(a, h)| (*a, h.map(|h| now() + TimeDelta::hours(h))))
            .collect(),
        busy: Default::default(),
    }
}

/// What `choose` says, as a short string: `to <assistant>`, `n/a`, or `none: <why>`.
fn outcome(
    reason: StopReason,
    settings: &FallbackSettings,
    available: &Availability,
    attempts: u32,
) -> String {
    let s = Situation {
        reason: &reason,
        from: claude::ASSISTANT,
        settings,
        available,
        attempts,
        now: now(),
    };
    match choose(&s) {
        Choice::HandOff { to, why } => {
            assert!(why.contains("handing the work to"), "{why}");
            format!("to {to}")
        }
        Choice::NotApplicable => "n/a".into(),
        Choice::NoneEligible { why } => format!("none: {why}"),
    }
}

#[rstest]
// A weekly limit days away, codex set up and free: handed off.
#[case(usage(Some(72), UsageWindow::Weekly), true, 0, "to codex")]
// A session limit whose reset is still far (7 h > 6 h) qualifies too: the rule is the distance.
#[case(usage(Some(7), UsageWindow::Session), true, 0, "to codex")]
// A reset 1 h away, or exactly at after_hours: wait for it.
#[case(usage(Some(1), UsageWindow::Session), true, 0, "n/a")]
#[case(usage(Some(6), UsageWindow::Weekly), true, 0, "n/a")]
// Weekly with no announced reset qualifies; an unknown window without a reset does not.
#[case(usage(None, UsageWindow::Weekly), true, 0, "to codex")]
#[case(usage(None, UsageWindow::Unknown), true, 0, "n/a")]
// Off (the default): never.
#[case(usage(Some(72), UsageWindow::Weekly), false, 0, "n/a")]
// One hand-off per stop: after an attempt for this stop the session waits for its reset.
#[case(usage(Some(72), UsageWindow::Weekly), true, 1, "n/a")]
// Other stops are never handed off.
#[case(StopReason::RateLimit { retry_after_secs: Some(999_999) }, true, 0, "n/a")]
#[case(StopReason::ContextExhausted, true, 0, "n/a")]
#[case(StopReason::Transient { status: Some(529) }, true, 0, "n/a")]
#[case(StopReason::Unknown, true, 0, "n/a")]
fn which_stops_are_handed_off(
    #[case] reason: StopReason,
    #[case] enabled: bool,
    #[case] attempts: u32,
    #[case] expected: &str,
) {
    let s = settings(enabled, &[codex::ASSISTANT]);
    let a = available(&[claude::ASSISTANT, codex::ASSISTANT], &[]);
    assert_eq!(outcome(reason, &s, &a, attempts), expected);
}

#[rstest]
// The first eligible in the configured order wins.
#[case(&[codex::ASSISTANT, opencode::ASSISTANT], &[codex::ASSISTANT, opencode::ASSISTANT], &[], "to codex")]
#[case(&[opencode::ASSISTANT, codex::ASSISTANT], &[codex::ASSISTANT, opencode::ASSISTANT], &[], "to opencode")]
// The stopped assistant itself is skipped.
#[case(&[claude::ASSISTANT, codex::ASSISTANT], &[claude::ASSISTANT, codex::ASSISTANT], &[], "to codex")]
// Not set up here: skipped.
#[case(&[opencode::ASSISTANT, codex::ASSISTANT], &[codex::ASSISTANT], &[], "to codex")]
// Itself at a limit: skipped.
#[case(&[codex::ASSISTANT, opencode::ASSISTANT], &[codex::ASSISTANT, opencode::ASSISTANT], &[(codex::ASSISTANT, Some(3))], "to opencode")]
fn the_first_eligible_assistant_takes_it(
    #[case] order: &[Assistant],
    #[case] startable: &[Assistant],
    #[case] limited: &[(Assistant, Option<i64>)],
    #[case] expected: &str,
) {
    let s = settings(true, order);
    let a = available(startable, limited);
    let weekly = usage(Some(72), UsageWindow::Weekly);
    assert_eq!(outcome(weekly, &s, &a, 0), expected);
}

#[test]
fn nobody_eligible_says_why_for_each() {
    let weekly = || usage(Some(72), UsageWindow::Weekly);
    let s = settings(
        true,
        &[claude::ASSISTANT, codex::ASSISTANT, opencode::ASSISTANT],
    );
    let a = available(
        &[claude::ASSISTANT, codex::ASSISTANT],
        &[(codex::ASSISTANT, Some(30))],
    );
    let got = outcome(weekly(), &s, &a, 0);
    assert!(got.starts_with("none: no hand-off: "), "{got}");
    assert!(got.contains("claude is the stopped assistant"), "{got}");
    assert!(
        got.contains("codex is at a usage limit until 2026-11-25 16:00 UTC"),
        "{got}"
    );
    assert!(got.contains("opencode is not set up here"), "{got}");

    let limited_unknown = available(&[codex::ASSISTANT], &[(codex::ASSISTANT, None)]);
    let got = outcome(
        weekly(),
        &settings(true, &[codex::ASSISTANT]),
        &limited_unknown,
        0,
    );
    assert!(got.contains("codex is at a usage limit"), "{got}");

    let got = outcome(weekly(), &settings(true, &[]), &limited_unknown, 0);
    assert_eq!(
        got,
        "none: no hand-off: no fallback assistant is configured"
    );
}

#[test]
fn the_reason_names_the_reset_and_the_threshold() {
    let s = settings(true, &[codex::ASSISTANT]);
    let a = available(&[codex::ASSISTANT], &[]);
    let reason = usage(Some(72), UsageWindow::Weekly);
    let Choice::HandOff { to, why } = choose(&Situation {
        reason: &reason,
        from: claude::ASSISTANT,
        settings: &s,
        available: &a,
        attempts: 0,
        now: now(),
    }) else {
        panic!("expected a hand-off");
    };
    assert_eq!(to, codex::ASSISTANT);
    assert_eq!(
        why,
        "claude weekly usage limit resets at 2026-11-27 10:00 UTC (72 h away, more than after_hours 6); handing the work to codex"
    );
}

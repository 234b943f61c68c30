//! The Codex parsers against what the real CLI (0.169.0) wrote: `tests/fixtures/real/codex/`, captured
//! against the fake provider with `TZ=UTC` (see docs/client-facts.md).

use crate::tz::Tz;
use rstest::rstest;

use super::super::*;
use crate::classify::ClassifyContext;
use crate::formats::test_support::at;
use crate::model::{HumanCause, Signal, StopReason, StopReason::*, UsageWindow};

macro_rules! real {
    ($name:literal) => {
        (
            include_str!(concat!(
                "../../../../../tests/fixtures/real/codex/",
                $name,
                ".rollout.jsonl"
            )),
            include_str!(concat!(
                "../../../../../tests/fixtures/real/codex/",
                $name,
                ".exec.jsonl"
            )),
        )
    };
}

fn stops(rollout: &str) -> (Vec<StopReason>, CodexRolloutState) {
    let mut state = CodexRolloutState::new(Tz::UTC);
    let mut out = Vec::new();
    for line in rollout.lines() {
        if let Some(Signal::Stopped { reason, .. }) = state.feed(line).expect("parses").signal {
            out.push(reason);
        }
    }
    (out, state)
}

fn usage(at_: &str, window: UsageWindow) -> StopReason {
    UsageLimit {
        resets_at: Some(at(at_)),
        window,
        precision: crate::model::Precision::Minute,
    }
}

/// A reset the rollout states to the second (`rate_limits.*.resets_at`).
fn exact(at_: &str, window: UsageWindow) -> StopReason {
    UsageLimit {
        resets_at: Some(at(at_)),
        window,
        precision: crate::model::Precision::Exact,
    }
}

/// Every real rollout yields exactly its scenario's stop, from `task_complete.error`; the exec stream's
/// `turn.failed` (text only, read at the capture's instant) agrees on the kind of stop.
#[rstest]
#[case::success(real!("success"), vec![Completed], Completed)]
#[case::usage_limit_session(real!("usage-limit-session"),
    vec![exact("2026-11-24T01:51:54Z", UsageWindow::Session)],
    usage("2026-11-24T01:51:00Z", UsageWindow::Session))]
#[case::usage_limit_weekly_plus(real!("usage-limit-weekly-plus"),
    vec![exact("2026-11-25T06:51:55Z", UsageWindow::Weekly)],
    usage("2026-11-25T06:51:00Z", UsageWindow::Weekly))]
#[case::usage_limit_then_resume(real!("usage-limit-session-then-resume"),
    vec![exact("2026-11-24T01:51:54Z", UsageWindow::Session), Completed],
    Completed)]
#[case::rate_limit_no_retries(real!("rate-limit-429-no-retries"),
    vec![RateLimit { retry_after_secs: None }], RateLimit { retry_after_secs: None })]
#[case::rate_limit_default_retries(real!("rate-limit-429-default-retries"),
    vec![RateLimit { retry_after_secs: None }], RateLimit { retry_after_secs: None })]
#[case::context(real!("context-window-exceeded"), vec![ContextExhausted], ContextExhausted)]
#[case::overloaded_in_stream(real!("server-overloaded-in-stream"),
    vec![Transient { status: None }], Transient { status: None })]
#[case::overloaded_503_http(real!("overloaded-503-http"),
    vec![Transient { status: Some(503) }], Transient { status: Some(503) })]
#[case::internal_500(real!("internal-500"), vec![Transient { status: None }], Transient { status: None })]
#[case::disconnect(real!("disconnect-mid-stream"), vec![Transient { status: None }], Transient { status: None })]
fn real_runs(
    #[case] files: (&str, &str),
    #[case] rollout_stops: Vec<StopReason>,
    #[case] exec_stop: StopReason,
) {
    let (rollout, exec) = files;
    let (got, state) = stops(rollout);
    assert_eq!(got, rollout_stops);
    assert!(!state.turn_open, "every captured turn ended");
    assert!(state.session_id.is_some() && state.cwd.is_some());

    let ctx = ClassifyContext::new(at("2026-11-24T00:51:56Z"), Tz::UTC);
    let last = exec
        .lines()
        .rev()
        .filter_map(|l| parse_exec_json_line(l).expect("parses").signal(&ctx))
        .find_map(|s| match s {
            Signal::Stopped { reason, .. } => Some(reason),
            _ => None,
        });
    assert_eq!(last, Some(exec_stop));
}

#[test]
fn a_turn_cut_off_before_task_complete_stays_open() {
    let (rollout, _) = real!("usage-limit-session-then-resume");
    let lines: Vec<&str> = rollout.lines().collect();
    let mut state = CodexRolloutState::new(Tz::UTC);
    let mut signals = Vec::new();
    for line in &lines[..10] {
        signals.push(state.feed(line).expect("parses").signal);
    }
    assert!(state.turn_open, "task_started without task_complete");
    assert!(
        signals
            .iter()
            .flatten()
            .all(|s| !matches!(s, Signal::Progress)),
        "a turn's start and the user's prompt are not model output: {signals:?}"
    );
    state.feed(lines[10]).expect("parses");
    assert!(!state.turn_open);
    // The resumed turn opens again, and its answer is progress.
    let mut progressed = false;
    for line in &lines[11..19] {
        progressed |= state.feed(line).expect("parses").signal == Some(Signal::Progress);
    }
    assert!(state.turn_open && progressed);
}

#[test]
fn an_interrupted_turn_is_closed() {
    let mut state = CodexRolloutState::new(Tz::UTC);
    let started = r#"{"timestamp":"2026-11-24T00:00:00Z","type":"event_msg","payload":{"type":"task_started"}}"#;
    let aborted = r#"{"timestamp":"2026-11-24T00:00:01Z","type":"event_msg","payload":{"type":"turn_aborted","reason":"interrupted"}}"#;
    state.feed(started).expect("parses");
    assert!(state.turn_open);
    state.feed(aborted).expect("parses");
    assert!(!state.turn_open);
}

/// The quota and plan wordings Codex uses for `usage_limit_exceeded` that no reset lifts.
#[rstest]
#[case("Quota exceeded. Check your plan and billing details.")]
#[case("To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.")]
fn quota_and_plan_need_a_human(#[case] message: &str) {
    let line = serde_json::json!({"timestamp": "2026-11-24T00:00:00Z", "type": "event_msg",
        "payload": {"type": "task_complete", "error": {"message": message,
        "codex_error_info": "usage_limit_exceeded"}}})
    .to_string();
    let rec = CodexRolloutState::new(Tz::UTC).feed(&line).expect("parses");
    let want = NeedsHuman {
        cause: HumanCause::QuotaOrPlan,
    };
    assert!(
        matches!(rec.signal, Some(Signal::Stopped { ref reason, .. }) if *reason == want),
        "{:?}",
        rec.signal
    );
    let failed =
        serde_json::json!({"type": "turn.failed", "error": {"message": message}}).to_string();
    let ctx = ClassifyContext::new(at("2026-11-24T00:00:00Z"), Tz::UTC);
    let signal = parse_exec_json_line(&failed).expect("parses").signal(&ctx);
    assert!(
        matches!(signal, Some(Signal::Stopped { ref reason, .. }) if *reason == want),
        "{signal:?}"
    );
}

/// The context use of every line that reports one, in order.
fn context_uses(rollout: &str) -> Vec<crate::model::ContextUse> {
    let mut state = CodexRolloutState::new(Tz::UTC);
    rollout
        .lines()
        .filter_map(|line| state.feed(line).expect("parses").context_use)
        .collect()
}

#[test]
fn token_count_events_report_context_use_and_the_stated_window() {
    use crate::model::ContextUse;
    let (rollout, _) = real!("success");
    assert_eq!(
        context_uses(rollout),
        vec![ContextUse {
            used_tokens: 9_522,
            window_tokens: Some(258_400)
        }]
    );
    // At the context wall Codex records the whole window as used.
    let (rollout, _) = real!("context-window-exceeded");
    let full = context_uses(rollout);
    assert_eq!(full.len(), 1);
    assert_eq!(full[0].percent_of(None), Some(100));
    // Rate-limit-only token_count events (no `info`) report nothing.
    let (rollout, _) = real!("usage-limit-session");
    assert!(context_uses(rollout).iter().all(|u| u.used_tokens > 0));
}

/// The quota use of every line that reports one, in order.
fn quota_uses(rollout: &str) -> Vec<crate::model::QuotaUse> {
    let mut state = CodexRolloutState::new(Tz::UTC);
    rollout
        .lines()
        .filter_map(|line| state.feed(line).expect("parses").quota_use)
        .collect()
}

#[test]
fn token_count_events_report_the_most_used_quota_window() {
    use crate::model::{QuotaUse, UsageWindow};
    let epoch = |s: i64| chrono::DateTime::from_timestamp(s, 0);
    // Primary (300 min) at 100%, secondary (10080 min) at 40%.
    let (rollout, _) = real!("usage-limit-session");
    assert_eq!(
        quota_uses(rollout),
        vec![QuotaUse {
            percent: 100,
            window: UsageWindow::Session,
            resets_at: epoch(1_795_485_114),
        }]
    );
    let (rollout, _) = real!("usage-limit-weekly-plus");
    let weekly = quota_uses(rollout);
    assert_eq!(weekly.len(), 1, "{weekly:?}");
    assert_eq!(
        (weekly[0].percent, weekly[0].window),
        (100, UsageWindow::Weekly)
    );
    // Without the provider's rate-limit headers both windows are null: nothing to report.
    let (rollout, _) = real!("success");
    assert!(quota_uses(rollout).is_empty());
}

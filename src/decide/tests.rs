//! The resume policy against each kind of stop.
use super::*;
use crate::model::{HumanCause, UsageWindow};
use rstest::rstest;

fn now() -> DateTime<Utc> {
    "2026-11-24T10:00:00Z".parse().unwrap()
}

#[rstest]
#[case(1, 30)]
#[case(2, 60)]
#[case(3, 120)]
#[case(4, 240)]
#[case(5, 300)]
#[case(40, 300)]
fn backoff_doubles_up_to_max(#[case] n: u32, #[case] secs: i64) {
    assert_eq!(backoff_delay(n, 30, 300, 0.1, 0.0), Duration::seconds(secs));
}

#[test]
fn jitter_stays_within_fraction() {
    for s in [-1.0, -0.5, 0.0, 0.7, 1.0, 5.0, -5.0] {
        let d = backoff_delay(2, 30, 300, 0.1, s).num_milliseconds();
        assert!((54_000..=66_000).contains(&d), "{s} -> {d}");
    }
}

fn plan(reason: StopReason, h: History) -> Plan {
    decide(
        &reason,
        crate::assistants::claude::ASSISTANT,
        h,
        &Config::default(),
        now(),
        0.0,
    )
}

#[test]
fn usage_limit_waits_for_reset_plus_margin() {
    let t: DateTime<Utc> = "2026-11-24T12:00:00Z".parse().unwrap();
    let p = plan(
        StopReason::UsageLimit {
            resets_at: Some(t),
            window: UsageWindow::Session,
            precision: crate::model::Precision::Minute,
        },
        History::default(),
    );
    match p {
        Plan::Resume {
            action: Action::SameSession,
            at,
            ..
        } => assert_eq!(at, t + Duration::seconds(60)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reset_in_the_past_means_now() {
    let t: DateTime<Utc> = "2026-11-24T08:00:00Z".parse().unwrap();
    let p = plan(
        StopReason::UsageLimit {
            resets_at: Some(t),
            window: UsageWindow::Session,
            precision: crate::model::Precision::Minute,
        },
        History::default(),
    );
    assert!(matches!(p, Plan::Resume { at, .. } if at == now()));
}

#[test]
fn retry_after_is_honoured() {
    let p = plan(
        StopReason::RateLimit {
            retry_after_secs: Some(20),
        },
        History::default(),
    );
    // Exact: a second of margin (no jitter at sample 0), not a minute.
    assert!(matches!(p, Plan::Resume { at, .. } if at == now() + Duration::seconds(21)));
}

#[test]
fn transient_backs_off_by_attempt() {
    let p = plan(
        StopReason::Transient { status: Some(529) },
        History {
            attempts: 2,
            resumes_last_hour: 2,
        },
    );
    assert!(matches!(p, Plan::Resume { at, .. } if at == now() + Duration::seconds(120)));
}

#[rstest]
#[case(StopReason::Completed)]
#[case(StopReason::UserExit)]
fn finished_sessions_are_left_alone(#[case] r: StopReason) {
    assert!(matches!(plan(r, History::default()), Plan::Finish { .. }));
}

#[rstest]
#[case(StopReason::NeedsHuman { cause: HumanCause::Billing })]
#[case(StopReason::NeedsHuman { cause: HumanCause::Authentication })]
#[case(StopReason::Unknown)]
fn human_matters_are_notified_only(#[case] r: StopReason) {
    assert!(matches!(plan(r, History::default()), Plan::Notify { .. }));
}

#[test]
fn context_exhausted_follows_strategy() {
    assert!(matches!(
        plan(StopReason::ContextExhausted, History::default()),
        Plan::Resume {
            action: Action::NewSession,
            ..
        }
    ));
    let mut c = crate::config::load_from_str(
        "[codex]\ncontext_strategy = \"same_session\"\n",
        std::path::Path::new("t.toml"),
        &[],
    )
    .unwrap();
    let p = decide(
        &StopReason::ContextExhausted,
        crate::assistants::codex::ASSISTANT,
        History::default(),
        &c,
        now(),
        0.0,
    );
    assert!(matches!(
        p,
        Plan::Resume {
            action: Action::SameSession,
            ..
        }
    ));
    c.resume.context_strategy = ContextStrategy::Summarize;
    let p = decide(
        &StopReason::ContextExhausted,
        crate::assistants::opencode::ASSISTANT,
        History::default(),
        &c,
        now(),
        0.0,
    );
    assert!(matches!(
        p,
        Plan::Resume {
            action: Action::Summarize,
            ..
        }
    ));
    let p = decide(
        &StopReason::ContextExhausted,
        crate::assistants::claude::ASSISTANT,
        History::default(),
        &c,
        now(),
        0.0,
    );
    assert!(matches!(
        p,
        Plan::Resume {
            action: Action::NewSession,
            ..
        }
    ));
}

#[test]
fn caps_stop_runaway_loops() {
    let r = StopReason::Transient { status: None };
    assert!(matches!(
        plan(
            r.clone(),
            History {
                attempts: 5,
                resumes_last_hour: 5
            }
        ),
        Plan::GiveUp { .. }
    ));
    assert!(matches!(
        plan(
            r,
            History {
                attempts: 1,
                resumes_last_hour: 10
            }
        ),
        Plan::GiveUp { .. }
    ));
}

#[test]
fn disabled_resume_only_notifies() {
    let mut c = Config::default();
    c.resume.enabled = false;
    let p = decide(
        &StopReason::RateLimit {
            retry_after_secs: None,
        },
        crate::assistants::claude::ASSISTANT,
        History::default(),
        &c,
        now(),
        0.0,
    );
    assert!(matches!(p, Plan::Notify { .. }));
}

proptest::proptest! {
    #[test]
    fn backoff_never_exceeds_max_plus_jitter(n in 1u32..100, base in 1u64..1000, extra in 0u64..10_000, j in 0.0f64..1.0, s in -1.0f64..1.0) {
        let max = base + extra;
        let d = backoff_delay(n, base, max, j, s).num_milliseconds() as f64;
        proptest::prop_assert!(d <= max as f64 * 1000.0 * (1.0 + j) + 1.0);
        proptest::prop_assert!(d >= 0.0);
    }
}

#[test]
fn absurd_stated_waits_are_clamped_and_said() {
    let limit = now() + crate::clock::MAX_WAIT;
    for reason in [
        StopReason::RateLimit {
            retry_after_secs: Some(u64::MAX),
        },
        StopReason::UsageLimit {
            resets_at: Some(DateTime::<Utc>::MAX_UTC),
            window: UsageWindow::Weekly,
            precision: crate::model::Precision::Exact,
        },
    ] {
        match plan(reason, History::default()) {
            Plan::Resume { at, why, .. } => {
                assert!(at <= limit + Duration::seconds(2), "{at}");
                assert!(why.contains("clamped"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(backoff_delay(64, u64::MAX, u64::MAX, 0.5, 1.0) > Duration::days(1000));
}

//! The resume policy, as a pure function: given why a session stopped, what has already been tried, and the
//! configuration, what to do and when. No I/O, no clock: `now` and the jitter sample are arguments.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::config::{Config, ContextStrategy};
use crate::model::{Assistant, StopReason};

/// How a session is resumed.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Send the continue prompt to the same session.
    SameSession,
    /// Back up, then start a new session seeded from the project's next-step notes.
    NewSession,
    /// opencode: summarize the session, then continue it.
    Summarize,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SameSession => "resume_same_session",
            Action::NewSession => "new_session",
            Action::Summarize => "summarize_and_continue",
        }
    }
}

/// What has happened to this session so far, as far as policy cares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Resume attempts already made for the current stop (0 for a fresh stop).
    pub attempts: u32,
    /// Resumes started in the last hour.
    pub resumes_last_hour: u32,
}

/// The decision.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// Act at `at`.
    Resume {
        action: Action,
        at: DateTime<Utc>,
        why: String,
    },
    /// A human must act (billing, login, unknown error): tell them, do nothing.
    Notify { why: String },
    /// Nothing to do: the session ended on purpose or finished.
    Finish { why: String },
    /// Automatic resuming stops here: retries exhausted or the hourly cap reached.
    GiveUp { why: String },
}

/// Exponential backoff delay for attempt `n` (1-based): `min(base * 2^(n-1), max)`, then ± `jitter_fraction`
/// scaled by `jitter_sample` in -1..=1. Never negative.
pub fn backoff_delay(
    n: u32,
    base_secs: u64,
    max_secs: u64,
    jitter_fraction: f64,
    jitter_sample: f64,
) -> Duration {
    let exp = n.saturating_sub(1).min(32);
    let raw = base_secs.saturating_mul(1u64 << exp).min(max_secs) as f64;
    let jittered = raw * (1.0 + jitter_fraction * jitter_sample.clamp(-1.0, 1.0));
    // `as` saturates for floats: an absurd max_secs gives i64::MAX ms, which saturates below.
    clock::millis((jittered.max(0.0) * 1000.0).round() as u64)
}

/// Decide what to do about a stop of `assistant`'s session observed at `now`.
/// Whether the assistant can summarize a session in place.
fn can_summarize(assistant: Assistant) -> bool {
    crate::assistants::get(assistant).is_some_and(|a| a.can_summarize())
}

pub fn decide(
    reason: &StopReason,
    assistant: Assistant,
    history: History,
    config: &Config,
    now: DateTime<Utc>,
    jitter_sample: f64,
) -> Plan {
    let r = &config.resume;
    let margin = clock::secs(r.reset_margin_secs);
    let jitter = if r.jitter { r.jitter_fraction } else { 0.0 };
    let backoff = |n: u32| {
        backoff_delay(
            n,
            r.backoff_base_secs,
            r.backoff_max_secs,
            jitter,
            jitter_sample,
        )
    };
    let next_attempt = history.attempts + 1;

    let (action, at, why) = match reason {
        StopReason::Completed => {
            return Plan::Finish {
                why: "the turn completed".into(),
            };
        }
        StopReason::UserExit => {
            return Plan::Finish {
                why: "the user ended the session".into(),
            };
        }
        StopReason::NeedsHuman { cause } => {
            return Plan::Notify {
                why: format!("needs a human ({cause:?}); never resumed automatically"),
            };
        }
        StopReason::Unknown => {
            return Plan::Notify {
                why: "stopped for a reason palingenesis cannot place".into(),
            };
        }
        StopReason::RateLimit {
            retry_after_secs: Some(s),
        } => (
            Action::SameSession,
            clock::after(clock::after(now, clock::secs(*s)), margin),
            format!(
                "rate limited; Retry-After {s}s plus {}s margin",
                r.reset_margin_secs
            ),
        ),
        StopReason::RateLimit {
            retry_after_secs: None,
        } => {
            let d = backoff(next_attempt);
            (
                Action::SameSession,
                clock::after(now, d),
                format!(
                    "rate limited; backoff attempt {next_attempt} ({}s)",
                    d.num_seconds()
                ),
            )
        }
        StopReason::UsageLimit {
            resets_at: Some(t),
            window,
        } => (
            Action::SameSession,
            clock::after(*t, margin).max(now),
            format!(
                "usage limit ({window:?} window) resets at {t}; plus {}s margin",
                r.reset_margin_secs
            ),
        ),
        StopReason::UsageLimit {
            resets_at: None, ..
        } => {
            let d = backoff(next_attempt);
            (
                Action::SameSession,
                clock::after(now, d),
                format!(
                    "usage limit without announced reset; backoff attempt {next_attempt} ({}s)",
                    d.num_seconds()
                ),
            )
        }
        StopReason::Transient { status } => {
            let d = backoff(next_attempt);
            let status = status.map_or("connection".to_string(), |s| s.to_string());
            (
                Action::SameSession,
                clock::after(now, d),
                format!(
                    "transient error ({status}); backoff attempt {next_attempt} ({}s)",
                    d.num_seconds()
                ),
            )
        }
        StopReason::ContextExhausted => match config.context_strategy(assistant) {
            ContextStrategy::NewSession => (
                Action::NewSession,
                now,
                "context window exhausted; new session from next-step notes".into(),
            ),
            ContextStrategy::SameSession => (
                Action::SameSession,
                now,
                "context window exhausted; the assistant compacts on resume".into(),
            ),
            ContextStrategy::Summarize if can_summarize(assistant) => (
                Action::Summarize,
                now,
                "context window exhausted; summarize then continue".into(),
            ),
            ContextStrategy::Summarize => (
                Action::NewSession,
                now,
                format!(
                    "context window exhausted; {assistant} cannot summarize, new session instead"
                ),
            ),
        },
    };
    if !r.enabled {
        return Plan::Notify {
            why: format!(
                "automatic resume disabled in config; would {}",
                action.as_str()
            ),
        };
    }
    if history.attempts >= r.max_retries {
        return Plan::GiveUp {
            why: format!(
                "{} resume attempts made without progress (max_retries {})",
                history.attempts, r.max_retries
            ),
        };
    }
    if history.resumes_last_hour >= r.max_resumes_per_hour {
        return Plan::GiveUp {
            why: format!(
                "{} resumes in the last hour (max_resumes_per_hour {})",
                history.resumes_last_hour, r.max_resumes_per_hour
            ),
        };
    }
    let (at, clamped) = clock::clamp_wait(at, now);
    let why = if clamped {
        format!(
            "{why}; the stated wait is longer than {} days and was clamped to that",
            clock::MAX_WAIT.num_days()
        )
    } else {
        why
    };
    Plan::Resume { action, at, why }
}

#[cfg(test)]
mod tests {
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
        assert!(matches!(p, Plan::Resume { at, .. } if at == now() + Duration::seconds(80)));
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
            },
        ] {
            match plan(reason, History::default()) {
                Plan::Resume { at, why, .. } => {
                    assert_eq!(at, limit);
                    assert!(why.contains("clamped"), "{why}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(backoff_delay(64, u64::MAX, u64::MAX, 0.5, 1.0) > Duration::days(1000));
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
}

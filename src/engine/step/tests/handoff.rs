//! Handing a session to another assistant (`[fallback]`), one transition per row.

use super::*;
use crate::assistants::{claude, codex};
use crate::decide::fallback::Availability;

/// A usage limit of `window` resetting `hours` from now.
fn limit(hours: i64, window: UsageWindow) -> StopReason {
    StopReason::UsageLimit {
        resets_at: Some(t0() + TimeDelta::hours(hours)),
        window,
        precision: Precision::Minute,
    }
}

fn weekly() -> StopReason {
    limit(72, UsageWindow::Weekly)
}

#[derive(Clone, Copy, PartialEq)]
enum Fb {
    /// `[fallback]` as by default (off).
    Off,
    /// On, to codex, which is set up and free.
    ToCodex,
    /// On, to codex, which is at its own limit.
    CodexLimited,
    /// On, but the daemon is paused.
    Paused,
    /// On, `at_reset = "resume"`, and the session handed to (`codex:t1`) is done.
    ResumeAtReset,
    /// On, `at_reset = "resume"`, and `codex:t1` is still at work.
    ResumeAtResetBusy,
}

fn run_fb(start: TrackedSession, input: Input, fb: Fb) -> (TrackedSession, Vec<Effect>) {
    let mut config = Config::default();
    config.resume.jitter = false;
    if fb != Fb::Off {
        config.fallback.enabled = true;
        config.fallback.assistants = vec![codex::ASSISTANT];
    }
    let mut available = Availability::default();
    available.startable.insert(claude::ASSISTANT);
    available.startable.insert(codex::ASSISTANT);
    if matches!(fb, Fb::ResumeAtReset | Fb::ResumeAtResetBusy) {
        config.fallback.at_reset = crate::config::AtReset::Resume;
    }
    if fb == Fb::ResumeAtResetBusy {
        available
            .busy
            .insert(SessionKey::new(codex::ASSISTANT, "t1"));
    }
    if fb == Fb::CodexLimited {
        available
            .limited
            .insert(codex::ASSISTANT, Some(t0() + TimeDelta::hours(2)));
    }
    let policy = Policy {
        config: &config,
        paused: fb == Fb::Paused,
        jitter: 0.0,
        next_attempt_id: 8,
        available,
    };
    step(&start, input, t0(), &policy)
}

/// The hand-off to codex in flight (attempt 7), after a weekly stop.
fn handing_off() -> TrackedSession {
    let phase = Phase::Resuming {
        action: Action::HandOff {
            to: codex::ASSISTANT,
        },
        attempt_id: 7,
        started_at: t0() - secs(30),
        verify_by: t0() + secs(270),
    };
    let mut s = in_phase(with_stop(running(), weekly(), 40), phase);
    s.attempts = 1;
    s
}

fn handed_off(resets_in: i64) -> TrackedSession {
    let phase = Phase::HandedOff {
        to: SessionKey::new(codex::ASSISTANT, "t1"),
        until: Some(t0() + secs(resets_in)),
        why: "handed off".into(),
    };
    in_phase(with_stop(running(), weekly(), 3600), phase)
}

const WAITS: [&str; 5] = [
    "record:StopDetected",
    "arm",
    "record:ResumeScheduled",
    "probe",
    "stagger",
];
const HANDS_OFF: [&str; 5] = [
    "record:StopDetected",
    "record:ResumeScheduled",
    "arm",
    "record:ResumeStarted",
    "spawn",
];

#[rstest]
#[case::weekly_days_away(running(), stop(weekly(), 0), Fb::ToCodex, "resuming", &HANDS_OFF[..])]
#[case::session_limit_far_away(running(), stop(limit(7, UsageWindow::Session), 0), Fb::ToCodex, "resuming", &HANDS_OFF[..])]
#[case::weekly_without_reset(running(), stop(StopReason::UsageLimit { resets_at: None, window: UsageWindow::Weekly, precision: Precision::Minute }, 0), Fb::ToCodex, "resuming", &HANDS_OFF[..])]
#[case::not_configured(running(), stop(weekly(), 0), Fb::Off, "waiting", &WAITS[..])]
#[case::reset_an_hour_away(running(), stop(limit(1, UsageWindow::Session), 0), Fb::ToCodex, "waiting", &WAITS[..])]
#[case::other_assistant_limited(running(), stop(weekly(), 0), Fb::CodexLimited, "waiting", &WAITS[..])]
#[case::paused(running(), stop(weekly(), 0), Fb::Paused, "waiting", &WAITS[..])]
#[case::rate_limit(running(), stop(rate_limit(), 0), Fb::ToCodex, "waiting", &["record:StopDetected", "arm", "record:ResumeScheduled", "probe"][..])]
// The stopped session is handed off once its new session exists; its reset then only tells a human.
#[case::new_session_started(handing_off(), Input::ContinuedIn { new_id: "t1".into() }, Fb::ToCodex, "handed_off", &["disarm", "arm", "record:HandedOff"][..])]
#[case::reset_reached(handed_off(0), Input::Deadline, Fb::ToCodex, "stopped", &["disarm", "record:NeedsAttention"][..])]
// `at_reset = "resume"`: resumed in place once the other session is no longer at work, never beside it.
#[case::reset_reached_resume(handed_off(0), Input::Deadline, Fb::ResumeAtReset, "resuming", &["disarm", "record:ResumeScheduled", "arm", "record:ResumeStarted", "spawn"][..])]
#[case::reset_reached_resume_but_busy(handed_off(0), Input::Deadline, Fb::ResumeAtResetBusy, "stopped", &["disarm", "record:NeedsAttention"][..])]
#[case::restart_rearms_the_reset(handed_off(600), Input::Restarted, Fb::ToCodex, "handed_off", &["arm"][..])]
#[case::same_stop_reported_again(handed_off(600), stop(weekly(), 3600), Fb::ToCodex, "handed_off", &[][..])]
// The hook reports the stop after the transcript did and the hand-off began: the same stop, not a failure.
#[case::hook_after_the_hand_off_began(handing_off(), stop(weekly(), 0), Fb::ToCodex, "resuming", &[][..])]
// The new session took over the attempt: a stop of its own first turn is the hand-off failing.
#[case::the_new_session_stops(TrackedSession { key: SessionKey::new(codex::ASSISTANT, "t1"), last_stop: None, ..handing_off() }, stop(limit(3, UsageWindow::Session), 0), Fb::ToCodex, "waiting", &["record:StopDetected", "cancel", "record:ResumeFailed", "arm", "record:ResumeScheduled", "probe", "stagger"][..])]
#[case::progress_by_hand(handed_off(600), Input::Progress { at: t0() }, Fb::ToCodex, "running", &["disarm"][..])]
// A hand-off that cannot start (no notes, the agent still in its terminal): wait for the reset as without
// fallback; the attempt counts, so there is no second hand-off for this stop.
#[case::hand_off_needs_attention(handing_off(), report(7, AttemptReport::NeedsAttention { why: "no Next-step.md".into() }), Fb::ToCodex, "waiting", &["cancel", "record:ResumeFailed", "arm", "record:ResumeScheduled", "probe", "stagger"][..])]
#[case::hand_off_failed(handing_off(), report(7, AttemptReport::Failed { why: "spawn failed".into() }), Fb::ToCodex, "waiting", &["cancel", "record:ResumeFailed", "arm", "record:ResumeScheduled", "probe", "stagger"][..])]
fn hand_off_transitions(
    #[case] start: TrackedSession,
    #[case] input: Input,
    #[case] fb: Fb,
    #[case] phase: &str,
    #[case] effects: &[&str],
) {
    let (next, fx) = run_fb(start, input, fb);
    assert_eq!(phase_name(&next.phase), phase, "{:?}", next.phase);
    assert_eq!(effect_names(&fx), effects);
}

fn recorded(fx: &[Effect], kind: crate::audit::EventType) -> crate::audit::AuditEvent {
    fx.iter()
        .find_map(|e| match e {
            Effect::Record(ev) if ev.event == kind => Some(ev.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {kind:?} in {fx:?}"))
}

#[test]
fn the_hand_off_is_an_attempt_of_the_other_assistant_now() {
    let (next, fx) = run_fb(running(), stop(weekly(), 0), Fb::ToCodex);
    let to = codex::ASSISTANT;
    assert!(matches!(
        next.phase,
        Phase::Resuming { action: Action::HandOff { to: t }, attempt_id: 8, .. } if t == to
    ));
    assert!(fx.contains(&Effect::Spawn {
        action: Action::HandOff { to },
        attempt_id: 8
    }));
    let planned = recorded(&fx, crate::audit::EventType::ResumeScheduled);
    assert_eq!(planned.action.as_deref(), Some("hand_off"));
    let why = planned.message.unwrap();
    assert!(why.contains("handing the work to codex"), "{why}");
}

#[test]
fn without_an_eligible_assistant_the_plan_says_why() {
    let (next, fx) = run_fb(running(), stop(weekly(), 0), Fb::CodexLimited);
    let Phase::Waiting { until, why, .. } = next.phase else {
        panic!("{:?}", next.phase)
    };
    assert!(until > t0() + TimeDelta::hours(71), "waits for the reset");
    assert!(
        why.contains("no hand-off: codex is at a usage limit"),
        "{why}"
    );
    let planned = recorded(&fx, crate::audit::EventType::ResumeScheduled);
    assert!(planned.message.unwrap().contains("no hand-off"));
}

#[test]
fn handed_off_names_both_sessions_and_the_reset() {
    let (next, fx) = run_fb(
        handing_off(),
        Input::ContinuedIn {
            new_id: "t1".into(),
        },
        Fb::ToCodex,
    );
    let reset = t0() + TimeDelta::hours(72);
    // The default margin after a reset known to the minute.
    let until = reset + secs(60);
    assert_eq!(
        next.phase,
        Phase::HandedOff {
            to: SessionKey::new(codex::ASSISTANT, "t1"),
            until: Some(until),
            why: "handed off to codex:t1; not resumed automatically at the reset while the work continues there".into(),
        }
    );
    assert!(fx.contains(&Effect::Arm(until)));
    let ev = recorded(&fx, crate::audit::EventType::HandedOff);
    assert_eq!(ev.session.as_deref(), Some("s1"));
    assert_eq!(ev.reason.as_deref(), Some("usage_limit"));
    let m = ev.metadata;
    assert_eq!(m["from"]["assistant"], "claude");
    assert_eq!(m["to"]["assistant"], "codex");
    assert_eq!(m["to"]["session"], "t1");
    assert_eq!(m["resets_at"], serde_json::json!(reset));
    // `palingenesis sessions` shows it handed off, and what happens at the reset.
    let info = next.info(t0());
    assert_eq!(info.state.as_str(), "handed_off");
    let planned = info.next_action.unwrap();
    assert_eq!((planned.action.as_str(), planned.at), ("at_reset", until));
}

#[test]
fn a_session_of_another_assistant_keeps_only_the_project_directory() {
    let mut old = handing_off();
    old.locator.pid = Some(42);
    old.locator.transcript = Some("/t/s1.jsonl".into());
    let locator = Locator {
        cwd: Some("/".into()),
        ..Default::default()
    };
    let fresh = successor(
        &old,
        SessionKey::new(codex::ASSISTANT, "t1"),
        &locator,
        t0(),
    );
    assert_eq!(fresh.locator.cwd, old.locator.cwd);
    assert_eq!((fresh.locator.pid, fresh.locator.transcript), (None, None));
    assert_eq!(
        fresh.attempts, 1,
        "the hand-off counts: no second one for its stop"
    );
}

#[test]
fn a_hand_off_survives_a_restart_of_the_daemon() {
    // Both phases are saved in state.json (and the action in the journal) and must read back as written.
    for s in [handing_off(), handed_off(600)] {
        let text = serde_json::to_string(&s).unwrap();
        let back: TrackedSession = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s, "{text}");
    }
    let text = serde_json::to_string(&Action::HandOff {
        to: codex::ASSISTANT,
    })
    .unwrap();
    assert_eq!(text, r#"{"hand_off":{"to":"codex"}}"#);
}

#[test]
fn at_the_reset_the_message_says_who_has_the_work() {
    let (_, fx) = run_fb(handed_off(0), Input::Deadline, Fb::ResumeAtResetBusy);
    let why = recorded(&fx, crate::audit::EventType::NeedsAttention)
        .message
        .unwrap();
    assert!(
        why.contains("codex:t1 is still at work on it")
            && why.contains("palingenesis resume-session s1"),
        "{why}"
    );
    let (next, fx) = run_fb(handed_off(0), Input::Deadline, Fb::ResumeAtReset);
    assert!(matches!(
        next.phase,
        Phase::Resuming {
            action: Action::SameSession,
            ..
        }
    ));
    let planned = recorded(&fx, crate::audit::EventType::ResumeScheduled);
    assert!(planned.message.unwrap().contains("no longer at work"));
}

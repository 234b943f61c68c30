//! The state machine, one transition per row: a starting state, an input, the policy; the phase it ends in
//! and the effects, in order (`record:<event type>` for an audit event).

use chrono::{DateTime, TimeDelta, Utc};
use rstest::rstest;

use super::*;
use crate::config::SelfContinuePolicy;
use crate::engine::session::StopRecord;
use crate::model::{HumanCause, Locator, Precision, UsageWindow};

fn t0() -> DateTime<Utc> {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn key() -> SessionKey {
    SessionKey::new(crate::assistants::claude::ASSISTANT, "s1")
}

fn running() -> TrackedSession {
    let locator = Locator {
        cwd: Some("/".into()),
        ..Default::default()
    };
    TrackedSession::new(key(), locator, t0() - secs(3600))
}

fn rate_limit() -> StopReason {
    StopReason::RateLimit {
        retry_after_secs: None,
    }
}

fn usage(resets_in: Option<i64>) -> StopReason {
    StopReason::UsageLimit {
        resets_at: resets_in.map(|s| t0() + secs(s)),
        window: UsageWindow::Session,
        precision: Precision::Exact,
    }
}

fn transient() -> StopReason {
    StopReason::Transient { status: Some(529) }
}

fn with_stop(mut s: TrackedSession, reason: StopReason, ago: i64) -> TrackedSession {
    s.last_stop = Some(StopRecord {
        reason,
        at: t0() - secs(ago),
        evidence: "e".into(),
    });
    s
}

fn in_phase(s: TrackedSession, phase: Phase) -> TrackedSession {
    TrackedSession { phase, ..s }
}

/// Waiting to resume in `in_secs` (0: due now) after a stop of `reason` 10 s ago.
fn waiting_for(reason: StopReason, in_secs: i64) -> TrackedSession {
    let phase = Phase::Waiting {
        until: t0() + secs(in_secs),
        action: Action::SameSession,
        why: "planned".into(),
    };
    in_phase(with_stop(running(), reason, 10), phase)
}

fn waiting(in_secs: i64) -> TrackedSession {
    waiting_for(rate_limit(), in_secs)
}

/// Attempt 7 in flight since 30 s ago, to be verified in `verify_in` s, after a transient stop.
fn resuming(verify_in: i64) -> TrackedSession {
    let phase = Phase::Resuming {
        action: Action::SameSession,
        attempt_id: 7,
        started_at: t0() - secs(30),
        verify_by: t0() + secs(verify_in),
    };
    let mut s = in_phase(with_stop(running(), transient(), 60), phase);
    s.attempts = 1;
    s.resume_log = vec![t0() - secs(30)];
    s
}

fn self_continuing(step_in: i64) -> TrackedSession {
    let phase = Phase::SelfContinuing {
        at: Some(t0() + secs(step_in - 60)),
        step_in_at: t0() + secs(step_in),
    };
    in_phase(with_stop(running(), usage(Some(step_in - 60)), 10), phase)
}

fn stopped() -> TrackedSession {
    let why = "needs a human".into();
    in_phase(
        with_stop(
            running(),
            StopReason::NeedsHuman {
                cause: HumanCause::Billing,
            },
            10,
        ),
        Phase::Stopped { why },
    )
}

fn done() -> TrackedSession {
    let why = "the user ended the session".into();
    in_phase(
        with_stop(running(), StopReason::UserExit, 10),
        Phase::Done { why },
    )
}

/// Resumed as often in the last hour as `max_resumes_per_hour` allows.
fn capped() -> TrackedSession {
    let mut s = running();
    s.resume_log = (1..=10).map(|m| t0() - secs(m * 60)).collect();
    s
}

fn stop(reason: StopReason, ago: i64) -> Input {
    Input::Stopped {
        reason,
        evidence: "e".into(),
        at: t0() - secs(ago),
        origin: Origin::Transcript,
    }
}

fn report(attempt_id: u64, report: AttemptReport) -> Input {
    Input::Attempt { attempt_id, report }
}

fn armed(at_in: i64) -> Input {
    Input::SelfContinue(SelfContinue::Armed {
        at: Some(t0() + secs(at_in)),
        evidence: "set to continue automatically".into(),
    })
}

fn cancelled(by_user: bool) -> Input {
    Input::SelfContinue(SelfContinue::Cancelled {
        by_user,
        evidence: "cancelled".into(),
    })
}

#[derive(Clone, Copy)]
enum Pol {
    Default,
    Paused,
    TakeOver,
}

fn run(start: TrackedSession, input: Input, pol: Pol) -> (TrackedSession, Vec<Effect>) {
    let mut config = Config::default();
    config.resume.jitter = false;
    if let Pol::TakeOver = pol {
        config.resume.self_continue = SelfContinuePolicy::TakeOver;
    }
    let policy = Policy {
        config: &config,
        paused: matches!(pol, Pol::Paused),
        jitter: 0.0,
        next_attempt_id: 8,
        available: Default::default(),
    };
    step(&start, input, t0(), &policy)
}

fn phase_name(p: &Phase) -> &'static str {
    match p {
        Phase::Running => "running",
        Phase::Stopped { .. } => "stopped",
        Phase::Waiting { .. } => "waiting",
        Phase::Resuming { .. } => "resuming",
        Phase::SelfContinuing { .. } => "self_continuing",
        Phase::HandedOff { .. } => "handed_off",
        Phase::Failed { .. } => "failed",
        Phase::Done { .. } => "done",
    }
}

fn effect_names(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .map(|e| match e {
            Effect::Arm(_) => "arm".to_string(),
            Effect::Disarm => "disarm".into(),
            Effect::Record(ev) => format!("record:{:?}", ev.event),
            Effect::Spawn { .. } => "spawn".into(),
            Effect::CancelAttempt => "cancel".into(),
            Effect::ForgetAttempt => "forget".into(),
            Effect::Probe => "probe".into(),
            Effect::Stagger => "stagger".into(),
            Effect::Refuse(_) => "refuse".into(),
        })
        .collect()
}

const SCHEDULED: [&str; 3] = ["arm", "record:ResumeScheduled", "probe"];

fn cat(parts: &[&[&str]]) -> Vec<String> {
    parts.concat().into_iter().map(String::from).collect()
}

#[rstest]
// Each stop class, from a running session.
#[case::rate_limit(running(), stop(rate_limit(), 0), Pol::Default, "waiting", cat(&[&["record:StopDetected"], &SCHEDULED]))]
#[case::rate_limit_retry_after(running(), stop(StopReason::RateLimit { retry_after_secs: Some(30) }, 0), Pol::Default, "waiting", cat(&[&["record:StopDetected"], &SCHEDULED]))]
#[case::usage_limit_with_reset(running(), stop(usage(Some(5 * 3600)), 0), Pol::Default, "waiting", cat(&[&["record:StopDetected"], &SCHEDULED, &["stagger"]]))]
#[case::usage_limit_without_reset(running(), stop(usage(None), 0), Pol::Default, "waiting", cat(&[&["record:StopDetected"], &SCHEDULED, &["stagger"]]))]
#[case::transient(running(), stop(transient(), 0), Pol::Default, "waiting", cat(&[&["record:StopDetected"], &SCHEDULED]))]
#[case::context_exhausted(running(), stop(StopReason::ContextExhausted, 0), Pol::Default, "waiting", cat(&[&["record:StopDetected", "arm", "record:ResumeScheduled"]]))]
#[case::needs_human(running(), stop(StopReason::NeedsHuman { cause: HumanCause::Billing }, 0), Pol::Default, "stopped", cat(&[&["record:StopDetected", "disarm", "record:NeedsAttention"]]))]
#[case::unknown(running(), stop(StopReason::Unknown, 0), Pol::Default, "stopped", cat(&[&["record:StopDetected", "disarm", "record:NeedsAttention"]]))]
#[case::completed(running(), stop(StopReason::Completed, 0), Pol::Default, "done", cat(&[&["disarm", "record:SessionDone"]]))]
#[case::user_exit(running(), stop(StopReason::UserExit, 0), Pol::Default, "done", cat(&[&["disarm", "cancel", "record:SessionDone"]]))]
#[case::stale_stop(running(), stop(transient(), 86_400), Pol::Default, "stopped", cat(&[&["record:StopDetected"]]))]
#[case::resume_cap_reached(capped(), stop(transient(), 0), Pol::Default, "failed", cat(&[&["record:StopDetected", "disarm", "record:SessionFailed"]]))]
// Stops in the other phases.
#[case::user_exit_while_waiting(waiting(60), stop(StopReason::UserExit, 0), Pol::Default, "done", cat(&[&["disarm", "cancel", "record:ResumeCancelled", "record:SessionDone"]]))]
#[case::user_exit_when_done(done(), stop(StopReason::UserExit, 0), Pol::Default, "done", cat(&[]))]
#[case::same_stop_twice(waiting(60), stop(rate_limit(), 10), Pol::Default, "waiting", cat(&[]))]
#[case::same_stop_with_a_reset(waiting(60), stop(usage(Some(600)), 10), Pol::Default, "waiting", cat(&[&SCHEDULED, &["stagger"]]))]
#[case::resumed_turn_stops_again(resuming(60), stop(transient(), 0), Pol::Default, "waiting", cat(&[&["record:StopDetected", "cancel", "record:ResumeFailed"], &SCHEDULED]))]
#[case::stop_from_before_the_attempt(resuming(60), stop(transient(), 45), Pol::Default, "resuming", cat(&[]))]
#[case::resumed_turn_completes(resuming(60), stop(StopReason::Completed, 0), Pol::Default, "done", cat(&[&["disarm", "forget", "record:ResumeCompleted", "disarm", "record:SessionDone"]]))]
#[case::late_stop_after_verification(with_stop(running(), transient(), 60), stop(transient(), 60), Pol::Default, "running", cat(&[]))]
// Progress and the agent's own retries.
#[case::progress_while_waiting(waiting(60), Input::Progress { at: t0() }, Pol::Default, "running", cat(&[&["disarm", "record:ResumeCancelled"]]))]
#[case::progress_from_before_the_stop_read_late(waiting(60), Input::Progress { at: t0() - secs(20) }, Pol::Default, "waiting", cat(&[]))]
#[case::progress_verifies(resuming(60), Input::Progress { at: t0() }, Pol::Default, "running", cat(&[&["disarm", "forget", "record:ResumeCompleted"]]))]
#[case::progress_from_before_the_stop_read_after_the_attempt_started(resuming(60), Input::Progress { at: t0() - secs(70) }, Pol::Default, "resuming", cat(&[]))]
#[case::progress_self_continued(self_continuing(60), Input::Progress { at: t0() }, Pol::Default, "running", cat(&[&["disarm", "record:ResumeCancelled"]]))]
#[case::progress_while_running(running(), Input::Progress { at: t0() }, Pol::Default, "running", cat(&[]))]
#[case::retrying_while_waiting(waiting(60), Input::Retrying { next: None }, Pol::Default, "running", cat(&[&["disarm", "record:ResumeCancelled"]]))]
#[case::retrying_extends_verification(resuming(60), Input::Retrying { next: Some(t0() + secs(3600)) }, Pol::Default, "resuming", cat(&[&["arm"]]))]
// Deadlines.
#[case::wait_over(waiting(0), Input::Deadline, Pol::Default, "resuming", cat(&[&["arm", "record:ResumeStarted", "spawn"]]))]
#[case::wait_not_over(waiting(60), Input::Deadline, Pol::Default, "waiting", cat(&[&["arm"]]))]
#[case::wait_over_while_paused(waiting(0), Input::Deadline, Pol::Paused, "waiting", cat(&[]))]
#[case::verification_overdue(resuming(0), Input::Deadline, Pol::Default, "waiting", cat(&[&["cancel", "record:ResumeFailed"], &SCHEDULED]))]
#[case::verification_not_due(resuming(60), Input::Deadline, Pol::Default, "resuming", cat(&[&["arm"]]))]
#[case::retries_exhausted(TrackedSession { attempts: 5, ..resuming(0) }, Input::Deadline, Pol::Default, "failed", cat(&[&["cancel", "record:ResumeFailed", "disarm", "record:SessionFailed"]]))]
#[case::self_continue_overdue(self_continuing(0), Input::Deadline, Pol::Default, "waiting", cat(&[&["record:SelfContinueEnded", "arm", "record:ResumeScheduled", "stagger"]]))]
#[case::self_continue_overdue_while_paused(self_continuing(0), Input::Deadline, Pol::Paused, "self_continuing", cat(&[]))]
#[case::deadline_when_done(done(), Input::Deadline, Pol::Default, "done", cat(&[]))]
// The assistant's own auto-continue.
#[case::self_continue_armed(waiting_for(usage(Some(600)), 660), armed(600), Pol::Default, "self_continuing", cat(&[&["arm", "record:SelfContinueArmed"]]))]
#[case::self_continue_armed_while_running(running(), armed(600), Pol::Default, "running", cat(&[&["record:SelfContinueArmed"]]))]
#[case::self_continue_taken_over(waiting_for(usage(Some(600)), 660), armed(600), Pol::TakeOver, "waiting", cat(&[&["record:SelfContinueArmed"]]))]
#[case::self_continue_cancelled_by_user(self_continuing(60), cancelled(true), Pol::Default, "stopped", cat(&[&["disarm", "record:SelfContinueEnded", "record:NeedsAttention"]]))]
#[case::self_continue_dropped(self_continuing(60), cancelled(false), Pol::Default, "waiting", cat(&[&["disarm", "record:SelfContinueEnded"], &SCHEDULED, &["stagger"]]))]
#[case::self_continue_cancel_without_arming(waiting(60), cancelled(false), Pol::Default, "waiting", cat(&[]))]
// Controls.
#[case::skip(waiting(60), Input::ActNow { action: None }, Pol::Default, "resuming", cat(&[&["disarm", "record:ResumeSkipped", "arm", "record:ResumeStarted", "spawn"]]))]
#[case::skip_with_nothing_planned(stopped(), Input::ActNow { action: None }, Pol::Default, "stopped", cat(&[&["refuse"]]))]
#[case::new_session(stopped(), Input::ActNow { action: Some(Action::NewSession) }, Pol::Default, "resuming", cat(&[&["disarm", "record:ResumeSkipped", "arm", "record:ResumeStarted", "spawn"]]))]
#[case::skip_while_resuming(resuming(60), Input::ActNow { action: Some(Action::SameSession) }, Pol::Default, "resuming", cat(&[&["refuse"]]))]
#[case::abort_wait(waiting(60), Input::Abort, Pol::Default, "stopped", cat(&[&["disarm", "cancel", "record:ResumeCancelled"]]))]
#[case::abort_attempt(resuming(60), Input::Abort, Pol::Default, "stopped", cat(&[&["disarm", "cancel", "record:ResumeCancelled"]]))]
#[case::unpaused_waiting(waiting(60), Input::Unpaused, Pol::Default, "waiting", cat(&[&["arm"]]))]
#[case::unpaused_running(running(), Input::Unpaused, Pol::Default, "running", cat(&[]))]
#[case::restarted_waiting(waiting(60), Input::Restarted, Pol::Default, "waiting", cat(&[&["arm"]]))]
#[case::restarted_resuming(resuming(60), Input::Restarted, Pol::Default, "resuming", cat(&[&["arm"]]))]
#[case::restarted_done(done(), Input::Restarted, Pol::Default, "done", cat(&[]))]
// Reports of the attempt in flight (7), and of an older one.
#[case::attempt_needs_a_human(resuming(60), report(7, AttemptReport::NeedsAttention { why: "x".into() }), Pol::Default, "stopped", cat(&[&["disarm", "forget", "record:NeedsAttention"]]))]
#[case::report_of_an_old_attempt(resuming(60), report(6, AttemptReport::NeedsAttention { why: "x".into() }), Pol::Default, "resuming", cat(&[]))]
#[case::attempt_succeeded(resuming(60), report(7, AttemptReport::Finished(TurnOutcome::Succeeded)), Pol::Default, "running", cat(&[&["disarm", "forget", "record:ResumeCompleted"]]))]
#[case::attempt_stopped_again(resuming(60), report(7, AttemptReport::Finished(TurnOutcome::Stopped { reason: transient(), evidence: "e".into() })), Pol::Default, "waiting", cat(&[&["record:StopDetected", "cancel", "record:ResumeFailed"], &SCHEDULED]))]
#[case::attempt_delivered(resuming(60), report(7, AttemptReport::Finished(TurnOutcome::Delivered)), Pol::Default, "resuming", cat(&[]))]
#[case::attempt_exited(resuming(60), report(7, AttemptReport::Finished(TurnOutcome::Exited { code: Some(0) })), Pol::Default, "resuming", cat(&[&["arm"]]))]
#[case::attempt_failed(resuming(60), report(7, AttemptReport::Failed { why: "x".into() }), Pol::Default, "waiting", cat(&[&["cancel", "record:ResumeFailed"], &SCHEDULED]))]
#[case::manual_attempt_failed(TrackedSession { last_stop: None, ..resuming(60) }, report(7, AttemptReport::Failed { why: "x".into() }), Pol::Default, "stopped", cat(&[&["cancel", "record:ResumeFailed", "disarm"]]))]
#[case::backed_up(resuming(60), report(7, AttemptReport::BackedUp { path: "/b".into() }), Pol::Default, "resuming", cat(&[&["record:SessionBackedUp"]]))]
#[case::continued_in_a_new_session(resuming(60), Input::ContinuedIn { new_id: "s2".into() }, Pol::Default, "done", cat(&[&["disarm", "record:SessionDone"]]))]
#[case::adopted(resuming(60), Input::Adopted { replaces: "s0".into() }, Pol::Default, "resuming", cat(&[&["arm", "record:SessionCreated"]]))]
#[case::staggered(waiting_for(usage(Some(600)), 660), Input::Staggered { at: t0() + secs(690), position: 2, of: 2, gap: secs(30) }, Pol::Default, "waiting", cat(&[&["arm", "record:ResumeScheduled"]]))]
#[case::staggered_in_place(waiting_for(usage(Some(600)), 660), Input::Staggered { at: t0() + secs(660), position: 1, of: 2, gap: secs(30) }, Pol::Default, "waiting", cat(&[&["arm"]]))]
#[case::staggered_while_resuming(resuming(60), Input::Staggered { at: t0() + secs(690), position: 2, of: 2, gap: secs(30) }, Pol::Default, "resuming", cat(&[]))]
fn transitions(
    #[case] start: TrackedSession,
    #[case] input: Input,
    #[case] pol: Pol,
    #[case] phase: &str,
    #[case] effects: Vec<String>,
) {
    let (next, fx) = run(start, input, pol);
    assert_eq!(phase_name(&next.phase), phase, "{:?}", next.phase);
    assert_eq!(effect_names(&fx), effects, "{fx:#?}");
}

#[test]
fn a_usage_limit_waits_for_its_reset_plus_the_margin() {
    let (next, fx) = run(running(), stop(usage(Some(5 * 3600)), 0), Pol::Default);
    let Phase::Waiting { until, .. } = next.phase else {
        panic!("{:?}", next.phase)
    };
    let margin = TimeDelta::milliseconds(Config::default().resume.exact_margin_ms as i64);
    assert_eq!(until, t0() + secs(5 * 3600) + margin);
    assert_eq!(fx.first(), Some(&Effect::Record(stop_detected(&fx))));
    assert!(fx.contains(&Effect::Arm(until)));
}

fn stop_detected(fx: &[Effect]) -> AuditEvent {
    fx.iter()
        .find_map(|e| match e {
            Effect::Record(ev) if ev.event == EventType::StopDetected => Some(ev.clone()),
            _ => None,
        })
        .expect("a StopDetected record")
}

#[test]
fn starting_an_attempt_counts_it_and_sets_its_verification_deadline() {
    let (next, fx) = run(waiting(0), Input::Deadline, Pol::Default);
    let verify = Config::default().resume.verify_timeout_secs as i64;
    assert_eq!(
        next.phase,
        Phase::Resuming {
            action: Action::SameSession,
            attempt_id: 8,
            started_at: t0(),
            verify_by: t0() + secs(verify),
        }
    );
    assert_eq!(next.attempts, 1);
    assert_eq!(next.resume_log, vec![t0()]);
    assert!(fx.contains(&Effect::Spawn {
        action: Action::SameSession,
        attempt_id: 8
    }));
    assert!(fx.contains(&Effect::Arm(t0() + secs(verify))));
}

#[test]
fn every_audit_event_is_stamped_with_the_steps_time_and_names_the_session() {
    let (_, fx) = run(resuming(0), Input::Deadline, Pol::Default);
    let records: Vec<&AuditEvent> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Record(ev) => Some(ev),
            _ => None,
        })
        .collect();
    assert!(!records.is_empty());
    for ev in records {
        assert_eq!(ev.ts, t0());
        assert_eq!(ev.session.as_deref(), Some("s1"));
    }
}

#[test]
fn a_place_in_the_order_is_noted_once_and_replaced_when_it_changes() {
    let start = waiting_for(usage(Some(600)), 660);
    let place = |s: &TrackedSession, at: i64, position| {
        let input = Input::Staggered {
            at: t0() + secs(at),
            position,
            of: 2,
            gap: secs(30),
        };
        run(s.clone(), input, Pol::Default)
    };
    let (first, _) = place(&start, 660, 1);
    let (again, fx) = place(&first, 660, 1);
    assert_eq!(again, first);
    assert!(fx.is_empty(), "nothing new: {fx:?}");
    let (second, _) = place(&first, 690, 2);
    let Phase::Waiting { why, .. } = &second.phase else {
        panic!()
    };
    assert_eq!(why.matches(ORDER_NOTE).count(), 1, "{why}");
    assert!(why.contains("2 of 2"), "{why}");
}

#[test]
fn a_restart_mid_attempt_verifies_within_seconds() {
    let (next, fx) = run(resuming(600), Input::Restarted, Pol::Default);
    let Phase::Resuming { verify_by, .. } = next.phase else {
        panic!()
    };
    assert_eq!(verify_by, t0() + secs(5));
    assert_eq!(fx, vec![Effect::Arm(t0() + secs(5))]);
}

#[test]
fn a_new_session_takes_over_the_attempt_and_counts_it() {
    let old = resuming(60);
    let locator = Locator {
        transcript: Some("/t/s2.jsonl".into()),
        ..Default::default()
    };
    let fresh = successor(&old, SessionKey::new(key().assistant, "s2"), &locator, t0());
    assert_eq!(fresh.phase, old.phase);
    assert_eq!(fresh.attempts, 1);
    assert_eq!(fresh.locator.cwd, old.locator.cwd);
    assert_eq!(fresh.locator.transcript, locator.transcript);
    assert!(is_current(&fresh, 7));
}

mod handoff;

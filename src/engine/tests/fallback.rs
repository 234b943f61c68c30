//! The engine's side of `[fallback]`: what it knows about the other assistants (set up here, at a limit) decides
//! the hand-off, and `quota_status` tells the agent what would happen.

use super::*;
use crate::assistants::codex;
use crate::protocol::AgentContext;

fn weekly(hours: i64) -> StopReason {
    StopReason::UsageLimit {
        resets_at: Some(Utc::now() + Duration::hours(hours)),
        window: UsageWindow::Weekly,
        precision: Default::default(),
    }
}

/// A rig with fallback to codex on; `codex_set_up`: codex has a resumer.
fn fallback_rig(codex_set_up: bool) -> Rig {
    let mut r = rig_with(TurnOutcome::Succeeded, |c| {
        c.fallback.enabled = true;
        c.fallback.assistants = vec![codex::ASSISTANT];
    });
    if codex_set_up {
        r.engine.resumers = r
            .engine
            .resumers
            .clone()
            .with(codex::ASSISTANT, r.resumer.clone());
    }
    r
}

/// The session's work went to codex: an attempt to hand it off is under way.
fn assert_handed_off_to_codex(r: &Rig) {
    assert!(
        matches!(phase(r), Phase::Resuming { action: Action::HandOff { to }, .. } if to == codex::ASSISTANT),
        "{:?}",
        phase(r)
    );
}

fn planned(r: &mut Rig) -> crate::protocol::PlannedActionView {
    match r.engine.on_request(Request::AgentSession(AgentContext {
        session: Some("s1".into()),
        ..Default::default()
    })) {
        Response::AgentSession(report) => report.plan.expect("a plan"),
        other => panic!("{other:?}"),
    }
}

/// A claude session that made progress, and a weekly limit on record for it (as `quota_status` sees it
/// before this session stops on it).
fn running_under_a_limit(r: &mut Rig) {
    r.engine.on_observation(progress());
    let sess = r.engine.sessions.get_mut(&key()).unwrap();
    sess.last_stop = Some(crate::engine::session::StopRecord {
        reason: weekly(72),
        at: Utc::now() - Duration::hours(1),
        evidence: "e".into(),
    });
}

#[tokio::test]
async fn a_far_limit_is_handed_to_codex_when_it_is_set_up() {
    let mut r = fallback_rig(true);
    running_under_a_limit(&mut r);
    let plan = planned(&mut r);
    assert_eq!(plan.action, "hand_off", "{plan:?}");
    assert!(
        plan.reason.contains("handing the work to codex"),
        "{plan:?}"
    );

    r.engine
        .on_observation(stop(weekly(72), Origin::Transcript, 0));
    assert_handed_off_to_codex(&r);
}

#[tokio::test]
async fn a_far_limit_that_came_while_paused_is_handed_off_once_unpaused() {
    let mut r = fallback_rig(true);
    r.engine.on_observation(progress());
    r.engine.on_request(Request::Pause);
    r.engine
        .on_observation(stop(weekly(72), Origin::Transcript, 0));
    assert!(
        matches!(
            phase(&r),
            Phase::Waiting {
                action: Action::SameSession,
                ..
            }
        ),
        "paused: nothing is started, {:?}",
        phase(&r)
    );
    r.engine.on_request(Request::Resume);
    assert_handed_off_to_codex(&r);
}

#[tokio::test]
async fn a_near_limit_that_came_while_paused_still_waits_for_its_reset_once_unpaused() {
    let mut r = fallback_rig(true);
    r.engine.on_observation(progress());
    r.engine.on_request(Request::Pause);
    let near = StopReason::UsageLimit {
        resets_at: Some(Utc::now() + Duration::minutes(30)),
        window: UsageWindow::Session,
        precision: Default::default(),
    };
    r.engine.on_observation(stop(near, Origin::Transcript, 0));
    let waiting = phase(&r);
    r.engine.on_request(Request::Resume);
    assert_eq!(phase(&r), waiting);
}

#[tokio::test]
async fn codex_not_set_up_or_at_its_own_limit_means_waiting_for_the_reset() {
    let mut r = fallback_rig(false);
    running_under_a_limit(&mut r);
    let plan = planned(&mut r);
    assert_eq!(plan.action, "resume_same_session");
    assert!(plan.reason.contains("codex is not set up here"), "{plan:?}");

    let mut r = fallback_rig(true);
    // A codex session of this machine is at its own weekly limit.
    let codex_stop = Observation {
        session: SessionKey::new(codex::ASSISTANT, "c1"),
        ..stop(weekly(30), Origin::Transcript, 0)
    };
    r.engine.on_observation(codex_stop);
    r.engine
        .on_observation(stop(weekly(72), Origin::Transcript, 0));
    let Phase::Waiting { why, .. } = phase(&r) else {
        panic!("{:?}", phase(&r))
    };
    assert!(
        why.contains("no hand-off: codex is at a usage limit until"),
        "{why}"
    );
}

/// `s1` handed off to `codex:c1`, its reset just passed; `c1` in `c1_phase`.
fn handed_off_rig(c1_phase: Phase) -> Rig {
    let mut r = rig_with(TurnOutcome::Succeeded, |c| {
        c.fallback.enabled = true;
        c.fallback.assistants = vec![codex::ASSISTANT];
        c.fallback.at_reset = crate::config::AtReset::Resume;
    });
    r.engine
        .on_observation(stop(weekly(72), Origin::Transcript, 0));
    let c1 = SessionKey::new(codex::ASSISTANT, "c1");
    let now = Utc::now();
    let mut other =
        crate::engine::session::TrackedSession::new(c1.clone(), Locator::default(), now);
    other.phase = c1_phase;
    r.engine.sessions.insert(c1.clone(), Box::new(other));
    r.engine.sessions.get_mut(&key()).unwrap().phase = Phase::HandedOff {
        to: c1,
        until: Some(now - Duration::seconds(1)),
        why: "handed off".into(),
    };
    r
}

#[tokio::test]
async fn at_the_reset_it_is_resumed_only_once_the_other_session_is_no_longer_at_work() {
    let mut r = handed_off_rig(Phase::Running);
    r.engine.on_deadline(key());
    assert!(matches!(phase(&r), Phase::Stopped { why } if why.contains("still at work")));

    let mut r = handed_off_rig(Phase::Done {
        why: "the turn completed".into(),
    });
    r.engine.on_deadline(key());
    assert!(
        matches!(
            phase(&r),
            Phase::Resuming {
                action: Action::SameSession,
                ..
            }
        ),
        "{:?}",
        phase(&r)
    );
}

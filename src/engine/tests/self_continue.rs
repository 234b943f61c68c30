//! Deferring to an assistant that continues by itself after a usage limit, and stepping in exactly once.

use super::*;
use crate::model::SelfContinue;

fn usage_limit() -> StopReason {
    StopReason::UsageLimit {
        resets_at: Some(Utc::now() + Duration::minutes(30)),
        window: UsageWindow::Session,
        precision: crate::model::Precision::Minute,
    }
}

fn native(signal: SelfContinue) -> Observation {
    Observation {
        session: key(),
        at: Utc::now(),
        signal: Signal::SelfContinue(signal),
        origin: Origin::Transcript,
        locator: Locator::default(),
    }
}

fn armed(in_secs: i64) -> Observation {
    native(SelfContinue::Armed {
        at: Some(Utc::now() + Duration::seconds(in_secs)),
        evidence: "Usage limit reached · set to continue automatically at 4:30pm".into(),
    })
}

fn cancelled(by_user: bool) -> Observation {
    native(SelfContinue::Cancelled {
        by_user,
        evidence: "Automatic continue cancelled".into(),
    })
}

fn limited_and_armed(r: &mut Rig, in_secs: i64) {
    r.engine
        .on_observation(stop(usage_limit(), Origin::Transcript, 0));
    r.engine.on_observation(armed(in_secs));
}

#[tokio::test]
async fn an_armed_auto_continue_is_left_to_do_its_work() {
    let mut r = rig(TurnOutcome::Succeeded);
    limited_and_armed(&mut r, 1800);
    let Phase::SelfContinuing { at, step_in_at } = phase(&r) else {
        panic!("{:?}", phase(&r));
    };
    assert_eq!(step_in_at - at.unwrap(), Duration::seconds(180));
    r.engine.on_deadline(key());
    assert!(
        matches!(phase(&r), Phase::SelfContinuing { .. }),
        "not due yet"
    );
    assert_eq!(events(&r, EventType::SelfContinueArmed).await, 1);
    let info = r.engine.sessions[&key()].info(Utc::now());
    assert_eq!(info.state.as_str(), "self_continuing");
    assert_eq!(info.next_action.unwrap().action, "step_in");
    // It fires: the session makes progress, and palingenesis never acted.
    r.engine.on_observation(progress());
    assert_eq!(phase(&r), Phase::Running);
    assert!(r.resumer.continued().is_empty());
    assert_eq!(events(&r, EventType::ResumeStarted).await, 0);
}

#[tokio::test]
async fn an_overdue_auto_continue_is_stepped_in_for_once() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.config = Arc::new({
        let mut c = (*r.engine.config).clone();
        c.resume.self_continue_grace_secs = 0;
        c
    });
    r.engine.on_observation(stop(
        StopReason::UsageLimit {
            resets_at: Some(Utc::now() - Duration::minutes(5)),
            window: UsageWindow::Session,
            precision: crate::model::Precision::Minute,
        },
        Origin::Transcript,
        0,
    ));
    r.engine.on_observation(armed(-120));
    r.engine.on_deadline(key());
    assert_eq!(events(&r, EventType::SelfContinueEnded).await, 1);
    assert!(
        matches!(phase(&r), Phase::Waiting { .. } | Phase::Resuming { .. }),
        "{:?}",
        phase(&r)
    );
    assert_eq!(events(&r, EventType::ResumeScheduled).await, 2);
}

#[tokio::test]
async fn a_users_own_cancel_means_leave_it() {
    let mut r = rig(TurnOutcome::Succeeded);
    limited_and_armed(&mut r, 1800);
    r.engine.on_observation(cancelled(true));
    assert!(
        matches!(phase(&r), Phase::Stopped { .. }),
        "{:?}",
        phase(&r)
    );
    assert_eq!(events(&r, EventType::NeedsAttention).await, 1);
    r.engine.on_deadline(key());
    assert!(matches!(phase(&r), Phase::Stopped { .. }));
    assert!(r.resumer.continued().is_empty());
}

#[tokio::test]
async fn an_exit_or_relaunch_during_the_wait_hands_the_stop_back() {
    let mut r = rig(TurnOutcome::Succeeded);
    limited_and_armed(&mut r, 1800);
    r.engine.on_observation(cancelled(false));
    let Phase::Waiting { until, .. } = phase(&r) else {
        panic!("{:?}", phase(&r));
    };
    assert!(
        until > Utc::now() + Duration::minutes(29),
        "waits for the reset"
    );
    assert_eq!(events(&r, EventType::SelfContinueEnded).await, 1);
}

#[tokio::test]
async fn take_over_ignores_the_assistants_own_continue() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.config = Arc::new({
        let mut c = (*r.engine.config).clone();
        c.resume.self_continue = crate::config::SelfContinuePolicy::TakeOver;
        c
    });
    limited_and_armed(&mut r, 1800);
    assert!(
        matches!(phase(&r), Phase::Waiting { .. }),
        "{:?}",
        phase(&r)
    );
}

#[tokio::test]
async fn the_same_stop_reported_late_by_a_hook_keeps_the_deferral() {
    let mut r = rig(TurnOutcome::Succeeded);
    limited_and_armed(&mut r, 1800);
    r.engine
        .on_observation(stop(usage_limit(), Origin::Hook, 0));
    assert!(
        matches!(phase(&r), Phase::SelfContinuing { .. }),
        "{:?}",
        phase(&r)
    );
}

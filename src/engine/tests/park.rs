//! Parking: quiet sessions leave memory for disk and come back, as they were, when concerned again.

use chrono::{Duration, Utc};

use super::*;
use crate::protocol::{ForgetRequest, Target};

/// A running session (its cwd learned) quiet for `quiet_secs`, then a parking sweep.
async fn parked_rig(quiet_secs: i64, park_after_secs: u64) -> Rig {
    let mut r = rig_with(TurnOutcome::Succeeded, |c| {
        c.daemon.park_after_secs = park_after_secs
    });
    r.engine.on_observation(Observation {
        locator: Locator {
            cwd: Some("/project".into()),
            ..Default::default()
        },
        ..progress()
    });
    r.engine.sessions.get_mut(&key()).unwrap().updated_at =
        Utc::now() - Duration::seconds(quiet_secs);
    r.engine.park_quiet().await;
    r
}

async fn ask(r: &mut Rig, req: Request) -> Response {
    let (reply, answer) = tokio::sync::oneshot::channel();
    r.engine.handle(EngineMsg::Control { req, reply }).await;
    answer.await.unwrap()
}

async fn listed(r: &mut Rig) -> Vec<crate::protocol::SessionInfo> {
    match ask(r, Request::Sessions).await {
        Response::Sessions(list) => list.sessions,
        other => panic!("{other:?}"),
    }
}

fn parked_files(r: &Rig) -> usize {
    std::fs::read_dir(r.paths.state_dir.join("parked")).map_or(0, |d| d.count())
}

#[tokio::test]
async fn a_quiet_session_leaves_memory_and_is_still_listed() {
    let mut r = parked_rig(3600, 600).await;
    assert!(!r.engine.sessions.contains_key(&key()));
    assert_eq!(parked_files(&r), 1);
    let list = listed(&mut r).await;
    assert_eq!(list.len(), 1);
    assert!(list[0].parked);
    assert_eq!(list[0].key, key());
    assert_eq!(
        list[0].locator.cwd.as_deref(),
        Some(std::path::Path::new("/project"))
    );
    match ask(&mut r, Request::Status).await {
        Response::Status(status) => assert_eq!(status.sessions_total, 1),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_session_not_quiet_long_enough_or_with_parking_off_stays() {
    assert!(
        parked_rig(60, 600)
            .await
            .engine
            .sessions
            .contains_key(&key())
    );
    assert!(
        parked_rig(1_000_000, 0)
            .await
            .engine
            .sessions
            .contains_key(&key())
    );
}

#[tokio::test]
async fn a_session_with_a_resume_planned_is_not_parked() {
    let mut r = rig_with(TurnOutcome::Succeeded, |c| c.daemon.park_after_secs = 1);
    r.engine.on_observation(stop(
        StopReason::RateLimit {
            retry_after_secs: Some(3600),
        },
        Origin::Transcript,
        0,
    ));
    assert!(matches!(phase(&r), Phase::Waiting { .. }));
    r.engine.sessions.get_mut(&key()).unwrap().updated_at = Utc::now() - Duration::hours(2);
    r.engine.park_quiet().await;
    assert!(matches!(phase(&r), Phase::Waiting { .. }));
    assert_eq!(parked_files(&r), 0);
}

#[tokio::test]
async fn new_activity_brings_it_back_as_it_was_and_the_file_goes_after_the_save() {
    let mut r = parked_rig(3600, 600).await;
    let event = SourceEvent::Observe(Observation {
        locator: Locator::default(),
        ..stop(
            StopReason::RateLimit {
                retry_after_secs: Some(3600),
            },
            Origin::Transcript,
            0,
        )
    });
    r.engine.unpark_for_source(&event).await;
    r.engine.on_source(event);
    let sess = &r.engine.sessions[&key()];
    assert!(matches!(sess.phase, Phase::Waiting { .. }));
    assert_eq!(
        sess.locator.cwd.as_deref(),
        Some(std::path::Path::new("/project"))
    );
    assert_eq!(listed(&mut r).await.iter().filter(|s| !s.parked).count(), 1);
    assert_eq!(listed(&mut r).await.len(), 1, "not listed twice");
    r.engine.save().await;
    assert_eq!(parked_files(&r), 0);
    let saved: EngineSnapshot = crate::store::load(&r.paths.state_file()).unwrap().unwrap();
    assert_eq!(saved.sessions.len(), 1);
}

#[tokio::test]
async fn a_command_naming_a_parked_session_brings_it_back() {
    let mut r = parked_rig(3600, 600).await;
    let reply = ask(
        &mut r,
        Request::Abort(Target {
            session: Some("s".into()),
        }),
    )
    .await;
    assert!(matches!(reply, Response::Done(_)), "{reply:?}");
    assert!(r.engine.sessions.contains_key(&key()));
    let reply = ask(
        &mut r,
        Request::Forget(ForgetRequest {
            session: "s1".into(),
            force: false,
        }),
    )
    .await;
    assert!(matches!(reply, Response::Done(_)), "{reply:?}");
    r.engine.save().await;
    assert!(listed(&mut r).await.is_empty());
    assert_eq!(parked_files(&r), 0);
}

#[tokio::test]
async fn parked_sessions_outlive_a_restart() {
    let r = parked_rig(3600, 600).await;
    let parked = r.paths.state_dir.join("parked");
    let mut again = rig_with(TurnOutcome::Succeeded, |c| c.daemon.park_after_secs = 600);
    std::fs::rename(&parked, again.paths.state_dir.join("parked")).unwrap();
    again.engine.load_parked().await;
    let list = listed(&mut again).await;
    assert_eq!((list.len(), list[0].parked), (1, true));
    // A parked file whose session the state file holds too (a crash came before it was removed) goes.
    let mut third = rig_with(TurnOutcome::Succeeded, |c| c.daemon.park_after_secs = 600);
    third.engine.on_observation(progress());
    std::fs::rename(
        again.paths.state_dir.join("parked"),
        third.paths.state_dir.join("parked"),
    )
    .unwrap();
    third.engine.load_parked().await;
    assert_eq!(parked_files(&third), 0);
    let list = listed(&mut third).await;
    assert_eq!((list.len(), list[0].parked), (1, false));
}

#[tokio::test]
async fn a_reload_plans_parking_under_the_new_threshold() {
    let mut r = rig_with(TurnOutcome::Succeeded, |c| c.daemon.park_after_secs = 0);
    r.engine.on_observation(progress());
    r.engine.plan_parking();
    assert!(r.engine.park.due.is_none());
    let mut config = (*r.engine.config).clone();
    config.daemon.park_after_secs = 60;
    let new = Box::new(Reconfiguration {
        config,
        resumers: Resumers::default(),
    });
    let (reply, done) = tokio::sync::oneshot::channel();
    r.engine.handle(EngineMsg::Reconfigure { new, reply }).await;
    done.await.unwrap();
    assert!(r.engine.park.due.is_some());
}

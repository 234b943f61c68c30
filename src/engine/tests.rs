//! Engine logic against the fake resumer: de-duplication, pause, verification, staleness.

use std::sync::Arc;

use chrono::{Duration, Utc};
use tokio_util::sync::CancellationToken;

use super::session::Phase;
use super::*;
use crate::audit::{AuditLog, AuditQuery, EventType};
use crate::model::{Locator, Observation, Origin, Signal, UsageWindow};
use crate::resume::fake::FakeResumer;

struct Rig {
    engine: Engine,
    rx: tokio::sync::mpsc::Receiver<EngineMsg>,
    resumer: Arc<FakeResumer>,
    paths: Paths,
    _dir: tempfile::TempDir,
}

fn rig(outcome: TurnOutcome) -> Rig {
    rig_with(outcome, |_| {})
}

fn rig_with(outcome: TurnOutcome, tune: impl FnOnce(&mut Config)) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    std::fs::create_dir_all(&paths.state_dir).unwrap();
    let log = AuditLog::open(paths.audit_file(), Default::default()).unwrap();
    let (audit, _task) = AuditWriter::spawn(log);
    let resumer = FakeResumer::answering(outcome);
    let mut config = Config::default();
    config.resume.backoff_base_secs = 1;
    config.resume.jitter = false;
    tune(&mut config);
    let deps = EngineDeps {
        config,
        paths: paths.clone(),
        journal: crate::journal::Journal::off(audit.clone()),
        audit,
        resumers: Resumers::default().with(crate::assistants::claude::ASSISTANT, resumer.clone()),
        watching: Vec::new(),
        shutdown: CancellationToken::new(),
        clock: crate::clock::system(),
    };
    let (engine, _handle, rx) = engine(deps, None);
    Rig {
        engine,
        rx,
        resumer,
        paths,
        _dir: dir,
    }
}

fn key() -> SessionKey {
    SessionKey::new(crate::assistants::claude::ASSISTANT, "s1")
}

fn stop(reason: StopReason, origin: Origin, ago_secs: i64) -> Observation {
    Observation {
        session: key(),
        at: Utc::now() - Duration::seconds(ago_secs),
        signal: Signal::Stopped {
            reason,
            evidence: "e".into(),
        },
        origin,
        locator: Locator {
            cwd: Some("/".into()),
            ..Default::default()
        },
    }
}

fn progress() -> Observation {
    Observation {
        session: key(),
        at: Utc::now(),
        signal: Signal::Progress,
        origin: Origin::Transcript,
        locator: Locator::default(),
    }
}

async fn events(rig: &Rig, kind: EventType) -> usize {
    rig.engine.audit.flush().await;
    let q = AuditQuery {
        types: vec![kind],
        ..Default::default()
    };
    crate::audit::query(&rig.paths.audit_file(), &q)
        .unwrap()
        .events
        .len()
}

/// Session `s1` (Claude) starts with palingenesis's hooks: its `SessionStart` hook arrives.
async fn hooked_session_start(rig: &mut Rig) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rig.engine.on_hook(
        crate::protocol::HookForward {
            assistant: crate::assistants::claude::ASSISTANT,
            payload: serde_json::json!({
                "session_id": "s1", "cwd": "/p", "hook_event_name": "SessionStart", "source": "startup",
            }),
        },
        tx,
    );
    assert!(matches!(rx.await.expect("answered"), Response::Done(_)));
    assert!(rig.engine.sessions[&key()].checkpoint.hooked);
}

/// Every `CheckpointRequested`, once the asks in flight are done.
async fn checkpoint_requests(rig: &mut Rig) -> Vec<crate::audit::AuditEvent> {
    rig.engine.attempt_tasks.close();
    rig.engine.attempt_tasks.wait().await;
    rig.engine.audit.flush().await;
    let q = AuditQuery {
        types: vec![EventType::CheckpointRequested],
        ..Default::default()
    };
    crate::audit::query(&rig.paths.audit_file(), &q)
        .unwrap()
        .events
}

fn phase(rig: &Rig) -> Phase {
    rig.engine.sessions[&key()].phase.clone()
}

#[tokio::test]
async fn the_same_stop_from_hook_and_transcript_is_one_decision() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.on_observation(stop(
        StopReason::RateLimit {
            retry_after_secs: None,
        },
        Origin::Hook,
        0,
    ));
    r.engine.on_observation(stop(
        StopReason::RateLimit {
            retry_after_secs: None,
        },
        Origin::Transcript,
        1,
    ));
    assert_eq!(events(&r, EventType::StopDetected).await, 1);
    assert_eq!(events(&r, EventType::ResumeScheduled).await, 1);
    assert!(matches!(phase(&r), Phase::Waiting { .. }));
}

#[tokio::test]
async fn a_later_report_with_a_reset_time_refines_the_wait() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.on_observation(stop(
        StopReason::RateLimit {
            retry_after_secs: None,
        },
        Origin::Hook,
        0,
    ));
    let reset = Utc::now() + Duration::minutes(30);
    r.engine.on_observation(stop(
        StopReason::UsageLimit {
            resets_at: Some(reset),
            window: UsageWindow::Session,
            precision: crate::model::Precision::Minute,
        },
        Origin::Transcript,
        0,
    ));
    match phase(&r) {
        Phase::Waiting { until, .. } => assert_eq!(until, reset + Duration::seconds(60)),
        other => panic!("{other:?}"),
    }
    assert_eq!(events(&r, EventType::StopDetected).await, 1);
}

#[tokio::test]
async fn stale_stops_are_recorded_but_not_acted_on() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.on_observation(stop(
        StopReason::Transient { status: Some(529) },
        Origin::Transcript,
        3600,
    ));
    assert!(matches!(phase(&r), Phase::Stopped { .. }));
    assert_eq!(events(&r, EventType::StopDetected).await, 1);
    assert_eq!(events(&r, EventType::ResumeScheduled).await, 0);
}

#[tokio::test]
async fn progress_while_waiting_cancels_the_plan() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.on_observation(stop(
        StopReason::Transient { status: None },
        Origin::Transcript,
        0,
    ));
    r.engine.on_observation(progress());
    assert_eq!(phase(&r), Phase::Running);
    assert_eq!(events(&r, EventType::ResumeCancelled).await, 1);
}

#[tokio::test]
async fn paused_daemons_hold_deadlines_until_resumed() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.on_request(crate::protocol::Request::Pause);
    r.engine.on_observation(stop(
        StopReason::Transient { status: None },
        Origin::Transcript,
        0,
    ));
    r.engine.on_deadline(key());
    assert!(
        matches!(phase(&r), Phase::Waiting { .. }),
        "nothing acts while paused"
    );
    assert!(r.resumer.continued().is_empty());
    r.engine.on_request(crate::protocol::Request::Resume);
    r.engine
        .on_request(crate::protocol::Request::Skip(Default::default()));
    assert!(matches!(phase(&r), Phase::Resuming { .. }));
}

#[tokio::test]
async fn a_succeeded_attempt_verifies_the_resume() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.on_observation(stop(
        StopReason::Transient { status: None },
        Origin::Transcript,
        0,
    ));
    r.engine
        .on_request(crate::protocol::Request::Skip(Default::default()));
    // The attempt task reports back over the engine's channel.
    let msg = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        loop {
            match r.rx.recv().await {
                Some(
                    m @ EngineMsg::Attempt {
                        event: AttemptEvent::Finished(_),
                        ..
                    },
                ) => break m,
                Some(_) => continue,
                None => panic!("channel closed"),
            }
        }
    })
    .await
    .unwrap();
    r.engine.handle(msg).await;
    assert_eq!(phase(&r), Phase::Running);
    assert_eq!(r.resumer.continued(), ["s1"]);
    assert_eq!(events(&r, EventType::ResumeCompleted).await, 1);
}

#[tokio::test]
async fn needs_human_is_never_resumed_and_user_exit_ends_it() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.on_observation(stop(
        StopReason::NeedsHuman {
            cause: crate::model::HumanCause::Billing,
        },
        Origin::Hook,
        0,
    ));
    assert!(matches!(phase(&r), Phase::Stopped { .. }));
    assert_eq!(events(&r, EventType::NeedsAttention).await, 1);
    r.engine.on_observation(progress());
    r.engine
        .on_observation(stop(StopReason::UserExit, Origin::Hook, 0));
    assert!(matches!(phase(&r), Phase::Done { .. }));
    assert_eq!(events(&r, EventType::ResumeScheduled).await, 0);
}

#[tokio::test]
async fn a_user_exit_cancels_a_pending_resume_even_right_after_the_stop() {
    let mut r = rig(TurnOutcome::Succeeded);
    r.engine.on_observation(stop(
        StopReason::RateLimit {
            retry_after_secs: None,
        },
        Origin::Transcript,
        0,
    ));
    assert!(matches!(phase(&r), Phase::Waiting { .. }));
    r.engine
        .on_observation(stop(StopReason::UserExit, Origin::Hook, 0));
    assert!(matches!(phase(&r), Phase::Done { .. }));
    r.engine.on_deadline(key());
    assert!(
        r.resumer.continued().is_empty(),
        "never resumed after the user left"
    );
    assert_eq!(events(&r, EventType::ResumeCancelled).await, 1);
}

#[tokio::test]
async fn an_absurd_verify_timeout_neither_panics_nor_stalls_the_engine() {
    // Validation rejects this value; the engine must survive it anyway (state written by an older version,
    // a future bug).
    let mut r = rig_with(TurnOutcome::Succeeded, |c| {
        c.resume.verify_timeout_secs = 100_000_000
    });
    stop_and_resume_now(&mut r);
    assert!(matches!(phase(&r), Phase::Resuming { .. }));
    assert_eq!(r.engine.timers.len(), 1);
}

/// A transient stop, then `skip` (resume now).
fn stop_and_resume_now(r: &mut Rig) {
    r.engine.on_observation(stop(
        StopReason::Transient { status: None },
        Origin::Transcript,
        0,
    ));
    r.engine
        .on_request(crate::protocol::Request::Skip(Default::default()));
}

#[tokio::test]
async fn an_absurd_retry_delay_while_resuming_is_clamped() {
    let mut r = rig(TurnOutcome::Succeeded);
    stop_and_resume_now(&mut r);
    let three_years = Utc::now() + Duration::milliseconds(94_608_000_000);
    r.engine.on_observation(Observation {
        signal: Signal::Retrying {
            next: Some(three_years),
        },
        ..progress()
    });
    match phase(&r) {
        Phase::Resuming { verify_by, .. } => {
            let bound = Utc::now()
                + crate::clock::MAX_WAIT
                + Duration::seconds(r.engine.config.resume.verify_timeout_secs as i64);
            assert!(verify_by <= bound, "{verify_by}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_stop_dated_in_the_future_does_not_hide_later_stops() {
    let mut r = rig(TurnOutcome::Succeeded);
    let mut forged = stop(
        StopReason::Transient { status: None },
        Origin::Transcript,
        0,
    );
    forged.at = "2099-01-01T00:00:00Z".parse().unwrap();
    r.engine.on_observation(forged);
    r.engine.on_observation(progress());
    // A real stop after the session went on.
    let mut real = stop(
        StopReason::Transient { status: None },
        Origin::Transcript,
        0,
    );
    real.at = Utc::now() + Duration::seconds(120);
    r.engine.on_observation(real);
    assert_eq!(events(&r, EventType::StopDetected).await, 2);
    assert!(
        matches!(phase(&r), Phase::Waiting { .. }),
        "{:?}",
        phase(&r)
    );
}

mod agent;
mod checkpoint;
mod checkpoint_quota;
mod clock;
mod fallback;
mod forget;
mod park;
mod running;
mod self_continue;

/// Several sessions of one account stopped on the same reset: most recently active first, staggered by
/// `[resume] stagger_secs`, and `preview` lists them in that order.
#[tokio::test]
async fn sessions_sharing_a_reset_resume_in_turn_most_recently_active_first() {
    let mut rig = rig(TurnOutcome::Succeeded);
    let reset = Utc::now() + Duration::minutes(30);
    let limit = StopReason::UsageLimit {
        resets_at: Some(reset),
        window: UsageWindow::Session,
        precision: crate::model::Precision::Minute,
    };
    // s-old stopped 5 min ago, s-new 1 min ago, s-mid 3 min ago.
    for (id, ago) in [("s-old", 300), ("s-new", 60), ("s-mid", 180)] {
        let mut obs = stop(limit.clone(), Origin::Transcript, ago);
        obs.session = SessionKey::new(crate::assistants::claude::ASSISTANT, id);
        rig.engine.on_observation(obs);
    }
    let until = |rig: &Rig, id: &str| match &rig.engine.sessions
        [&SessionKey::new(crate::assistants::claude::ASSISTANT, id)]
        .phase
    {
        Phase::Waiting { until, why, .. } => (*until, why.clone()),
        other => panic!("{id}: {other:?}"),
    };
    let gap = Duration::seconds(rig.engine.config.resume.stagger_secs as i64);
    let first = reset + Duration::seconds(rig.engine.config.resume.reset_margin_secs as i64);
    assert_eq!(until(&rig, "s-new").0, first);
    assert_eq!(until(&rig, "s-mid").0, first + gap);
    assert_eq!(until(&rig, "s-old").0, first + gap * 2);
    assert!(
        until(&rig, "s-old").1.contains("3 of 3"),
        "{}",
        until(&rig, "s-old").1
    );

    let Response::Preview(list) = rig.engine.on_request(Request::Preview) else {
        panic!("preview");
    };
    let order: Vec<&str> = list.sessions.iter().map(|s| s.key.id.as_str()).collect();
    assert_eq!(order, ["s-new", "s-mid", "s-old"]);
    assert!(
        list.sessions[0]
            .next_action
            .as_ref()
            .unwrap()
            .reason
            .contains("1 of 3"),
        "{:?}",
        list.sessions[0].next_action
    );
}

#[tokio::test]
async fn a_forgotten_session_takes_its_transcript_offset_along() {
    let mut r = rig(TurnOutcome::Succeeded);
    let transcript = PathBuf::from("/t/s1.jsonl");
    let other = PathBuf::from("/t/other.jsonl");
    let mut obs = progress();
    obs.locator.transcript = Some(transcript.clone());
    r.engine.on_observation(obs);
    r.engine.offsets.insert(transcript.clone(), 10);
    r.engine.offsets.insert(other.clone(), 5);
    r.engine.forget_quiet_sessions();
    assert_eq!(
        r.engine.offsets.len(),
        2,
        "a recent session keeps its offset"
    );
    r.engine.sessions.get_mut(&key()).unwrap().updated_at = Utc::now() - Duration::days(8);
    r.engine.forget_quiet_sessions();
    assert!(!r.engine.sessions.contains_key(&key()));
    assert_eq!(r.engine.offsets.keys().collect::<Vec<_>>(), [&other]);
}

//! The engine against the fake resumer: what it starts, and what it ignores.

use std::sync::Arc;

use chrono::{Duration, Utc};
use tokio::sync::broadcast;

use super::*;
use crate::audit::{AuditLog, AuditOptions};
use crate::model::{Locator, Observation, Origin, Signal};
use crate::resume::fake::FakeResumer;

fn stop(at: DateTime<Utc>, origin: Origin) -> SourceEvent {
    SourceEvent::Observe(Observation {
        session: SessionKey::new(crate::assistants::opencode::ASSISTANT, "ses_1"),
        at,
        signal: Signal::Stopped {
            reason: StopReason::Transient { status: Some(503) },
            evidence: "Service Unavailable".into(),
        },
        origin,
        locator: Locator {
            cwd: Some(std::env::temp_dir()),
            server_url: Some("http://127.0.0.1:1".into()),
            ..Default::default()
        },
    })
}

async fn next_of(
    rx: &mut broadcast::Receiver<std::sync::Arc<AuditEvent>>,
    kind: EventType,
) -> AuditEvent {
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let e = rx.recv().await.expect("audit open");
            if e.event == kind {
                return std::sync::Arc::unwrap_or_clone(e);
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind:?} event"))
}

pub(super) struct Running {
    pub(super) tx: crate::model::SourceTx,
    pub(super) handle: EngineHandle,
    pub(super) audit: AuditWriter,
    pub(super) events: broadcast::Receiver<std::sync::Arc<AuditEvent>>,
    pub(super) recorder: Arc<FakeResumer>,
    pub(super) shutdown: CancellationToken,
    pub(super) run: tokio::task::JoinHandle<()>,
    pub(super) _tmp: tempfile::TempDir,
}

/// An engine resuming opencode sessions at once (no backoff) through a fake resumer that delivers the prompt.
fn start() -> Running {
    let mut config = Config::default();
    config.resume.backoff_base_secs = 0;
    config.resume.jitter = false;
    let resumer = FakeResumer::answering(TurnOutcome::Delivered);
    start_with(
        config,
        crate::assistants::opencode::ASSISTANT,
        resumer,
        crate::clock::system(),
    )
}

/// The engine task running with `config`, `resumer` for `assistant`'s sessions, and `clock`.
pub(super) fn start_with(
    config: Config,
    assistant: crate::model::Assistant,
    recorder: Arc<FakeResumer>,
    clock: crate::clock::WallClock,
) -> Running {
    let tmp = tempfile::tempdir().unwrap();
    let paths = Paths::under(tmp.path());
    let log = AuditLog::open(
        paths.audit_file(),
        AuditOptions {
            max_bytes: 1 << 20,
            keep: 1,
        },
    )
    .unwrap();
    let (audit, _task) = AuditWriter::spawn(log);
    let events = audit.subscribe();
    let shutdown = CancellationToken::new();
    let (engine, handle, rx) = engine(
        EngineDeps {
            config,
            paths,
            audit: audit.clone(),
            resumers: Resumers::default().with(assistant, recorder.clone()),
            watching: Vec::new(),
            shutdown: shutdown.clone(),
            clock,
            journal: crate::journal::Journal::off(audit.clone()),
        },
        None,
    );
    let run = tokio::spawn(engine.run(rx, shutdown.clone()));
    Running {
        tx: handle.source_sender(),
        handle,
        audit,
        events,
        recorder,
        shutdown,
        run,
        _tmp: tmp,
    }
}

#[tokio::test]
async fn a_late_report_of_the_stop_being_resumed_is_not_a_new_failure() {
    let Running {
        tx,
        handle,
        audit,
        mut events,
        recorder,
        shutdown,
        run,
        _tmp,
    } = start();
    let at = Utc::now() - Duration::seconds(1);
    tx.send(stop(at, Origin::Database)).await.unwrap();
    next_of(&mut events, EventType::ResumeStarted).await;
    // The event stream reports the same stop while the resume is in flight.
    tx.send(stop(at, Origin::ServerEvents)).await.unwrap();
    handle.request(crate::protocol::Request::Status).await;
    audit.flush().await;
    let failures: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| e.event == EventType::ResumeFailed)
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(recorder.continued().len(), 1);

    // A stop after the attempt started is the resumed turn failing again.
    tx.send(stop(
        Utc::now() + Duration::seconds(1),
        Origin::ServerEvents,
    ))
    .await
    .unwrap();
    let failed = next_of(&mut events, EventType::ResumeFailed).await;
    assert!(failed.message.unwrap_or_default().contains("stopped again"));
    shutdown.cancel();
    run.await.unwrap();
}

#[tokio::test]
async fn the_agent_retrying_a_resumed_turn_extends_its_verification() {
    let Running {
        tx,
        handle,
        mut events,
        shutdown,
        run,
        _tmp,
        ..
    } = start();
    tx.send(stop(
        Utc::now() - Duration::seconds(1),
        Origin::ServerEvents,
    ))
    .await
    .unwrap();
    next_of(&mut events, EventType::ResumeStarted).await;
    let next = Utc::now() + Duration::hours(1);
    tx.send(SourceEvent::Observe(Observation {
        session: SessionKey::new(crate::assistants::opencode::ASSISTANT, "ses_1"),
        at: Utc::now(),
        signal: Signal::Retrying { next: Some(next) },
        origin: Origin::ServerEvents,
        locator: Locator::default(),
    }))
    .await
    .unwrap();
    // Sources and control requests reach the engine on separate channels: ask until the observation is in.
    let want = next + Duration::seconds(300);
    let mut planned = None;
    for _ in 0..200 {
        let crate::protocol::Response::Sessions(list) =
            handle.request(crate::protocol::Request::Sessions).await
        else {
            panic!("sessions answer");
        };
        planned = list.sessions[0].next_action.clone();
        if planned.as_ref().is_some_and(|p| p.at == want) {
            break;
        }
        tokio::task::yield_now().await;
    }
    let planned = planned.expect("verification pending");
    assert_eq!(planned.action, "verify");
    assert_eq!(planned.at, want);
    shutdown.cancel();
    run.await.unwrap();
}

#[tokio::test]
async fn a_late_report_after_the_resume_was_verified_starts_nothing() {
    let Running {
        tx,
        handle,
        audit,
        mut events,
        recorder,
        shutdown,
        run,
        _tmp,
    } = start();
    let at = Utc::now() - Duration::seconds(1);
    tx.send(stop(at, Origin::Database)).await.unwrap();
    next_of(&mut events, EventType::ResumeStarted).await;
    tx.send(SourceEvent::Observe(Observation {
        session: SessionKey::new(crate::assistants::opencode::ASSISTANT, "ses_1"),
        at: Utc::now(),
        signal: Signal::Progress,
        origin: Origin::ServerEvents,
        locator: Locator::default(),
    }))
    .await
    .unwrap();
    next_of(&mut events, EventType::ResumeCompleted).await;
    tx.send(stop(at, Origin::ServerEvents)).await.unwrap();
    handle.request(crate::protocol::Request::Status).await;
    audit.flush().await;
    let later: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
        .map(|e| e.event)
        .collect();
    assert!(later.is_empty(), "{later:?}");
    assert_eq!(recorder.continued().len(), 1);
    shutdown.cancel();
    run.await.unwrap();
}

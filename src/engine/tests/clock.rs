//! The engine on an injected clock under tokio's paused time: hours of waiting run in milliseconds, and
//! every instant the engine acts on comes from that clock.

use chrono::{DateTime, Duration, Utc};
use tokio::sync::broadcast;

use super::*;
use crate::model::{Locator, Observation, Origin, Precision, Signal, UsageWindow};
use crate::resume::fake::FakeResumer;

fn base() -> DateTime<Utc> {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

/// The next audit event of `kind`, however long the engine waits for it in (paused) time.
async fn next_of(
    rx: &mut broadcast::Receiver<std::sync::Arc<AuditEvent>>,
    kind: EventType,
) -> AuditEvent {
    tokio::time::timeout(std::time::Duration::from_secs(2 * 86_400), async {
        loop {
            let e = rx.recv().await.expect("audit open");
            if e.event == kind {
                return std::sync::Arc::unwrap_or_clone(e);
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind:?} event within two days"))
}

#[tokio::test(start_paused = true)]
async fn a_five_hour_usage_limit_is_waited_out_resumed_and_verified_in_paused_time() {
    let real_start = std::time::Instant::now();
    let mut config = Config::default();
    config.resume.jitter = false;
    let super::running::Running {
        tx,
        handle,
        mut events,
        recorder: resumer,
        shutdown,
        run,
        _tmp: tmp,
        ..
    } = super::running::start_with(
        config,
        crate::assistants::claude::ASSISTANT,
        FakeResumer::answering(TurnOutcome::Succeeded),
        crate::clock::following_tokio(base()),
    );

    let reset = base() + Duration::hours(5);
    let cwd = tmp.path().join("project");
    std::fs::create_dir_all(&cwd).unwrap();
    tx.send(SourceEvent::Observe(Observation {
        session: SessionKey::new(crate::assistants::claude::ASSISTANT, "s-5h"),
        at: base(),
        signal: Signal::Stopped {
            reason: StopReason::UsageLimit {
                resets_at: Some(reset),
                window: UsageWindow::Session,
                precision: Precision::Exact,
            },
            evidence: "You've hit your 5-hour limit · resets 5pm (UTC)".into(),
        },
        origin: Origin::Transcript,
        locator: Locator {
            cwd: Some(cwd),
            ..Default::default()
        },
    }))
    .await
    .unwrap();

    let scheduled = next_of(&mut events, EventType::ResumeScheduled).await;
    assert_eq!(scheduled.ts, base(), "stamped by the injected clock");
    let started = next_of(&mut events, EventType::ResumeStarted).await;
    assert!(
        started.ts >= reset,
        "never before the reset: started at {}",
        started.ts
    );
    assert!(started.ts < reset + Duration::minutes(1), "{}", started.ts);
    let verified = next_of(&mut events, EventType::ResumeCompleted).await;
    assert_eq!(verified.outcome.as_deref(), Some("verified"));
    assert_eq!(resumer.continued(), ["s-5h"]);
    let Response::Sessions(list) = handle.request(Request::Sessions).await else {
        panic!("sessions");
    };
    assert_eq!(
        list.sessions[0].state,
        crate::protocol::SessionStateView::Running
    );

    shutdown.cancel();
    run.await.unwrap();
    // Five hours of waiting took (much) less than a minute of real time.
    assert!(real_start.elapsed() < std::time::Duration::from_secs(60));
}

//! Engine behaviour through the daemon run in-process: `daemon::run` with an injected socket and shutdown
//! token in a temp dir, asked over the socket as the CLI asks. (The daemon as a user runs it, a separate
//! process with its pid file and signals, is covered by `daemon_lifecycle.rs`.)

mod support;

use palingenesis::protocol::{
    DaemonMode, HookForward, Request, Response, SessionStateView, Target,
};
use support::in_process::InProcess;

/// So that no resume fires while a test looks.
const NO_EARLY_RESUME: &str = "[resume]\nbackoff_base_secs = 3600\nbackoff_max_secs = 3600\n";

async fn mode(daemon: &InProcess) -> DaemonMode {
    match daemon.request(Request::Status).await {
        Response::Status(s) => s.mode,
        other => panic!("{other:?}"),
    }
}

async fn state_of(daemon: &InProcess, id: &str) -> Option<SessionStateView> {
    let Response::Sessions(list) = daemon.request(Request::Sessions).await else {
        panic!("sessions");
    };
    list.sessions
        .into_iter()
        .find(|s| s.key.id == id)
        .map(|s| s.state)
}

#[tokio::test]
async fn a_pause_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = InProcess::start(dir.path(), "").await;
    assert_eq!(mode(&daemon).await, DaemonMode::Monitoring);
    daemon.request(Request::Pause).await;
    assert_eq!(mode(&daemon).await, DaemonMode::Paused);
    daemon.stop().await;

    let daemon = InProcess::start(dir.path(), "").await;
    assert_eq!(
        mode(&daemon).await,
        DaemonMode::Paused,
        "state saved at shutdown"
    );
    daemon.request(Request::Resume).await;
    assert_eq!(mode(&daemon).await, DaemonMode::Monitoring);
    daemon.stop().await;
}

#[tokio::test]
async fn a_stop_reported_by_a_hook_is_planned_and_abort_cancels_it() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = InProcess::start(dir.path(), NO_EARLY_RESUME).await;
    let payload = serde_json::json!({
        "hook_event_name": "StopFailure",
        "session_id": "hook-session",
        "cwd": dir.path(),
        "error": "rate_limit",
        "last_assistant_message": "API Error: Request rejected (429)",
    });
    let reply = daemon
        .request(Request::Hook(HookForward {
            assistant: palingenesis::assistants::claude::ASSISTANT,
            payload,
        }))
        .await;
    assert!(matches!(reply, Response::Done(_)), "{reply:?}");
    assert_eq!(
        state_of(&daemon, "hook-session").await,
        Some(SessionStateView::Waiting)
    );

    let reply = daemon.request(Request::Abort(Target::default())).await;
    assert!(matches!(reply, Response::Done(_)), "{reply:?}");
    assert_eq!(
        state_of(&daemon, "hook-session").await,
        Some(SessionStateView::Stopped)
    );
    // Nothing left to act on: `skip` says so.
    let reply = daemon
        .request(Request::Skip(Target {
            session: Some("hook-session".into()),
        }))
        .await;
    assert!(matches!(reply, Response::Error(_)), "{reply:?}");
    daemon.stop().await;
}

#[tokio::test]
async fn concurrent_clients_are_all_answered() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = std::sync::Arc::new(InProcess::start(dir.path(), "").await);
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let daemon = daemon.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    let req = if i % 2 == 0 {
                        Request::Status
                    } else {
                        Request::Sessions
                    };
                    let reply = daemon.request(req).await;
                    assert!(!matches!(reply, Response::Error(_)), "{reply:?}");
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    let Ok(daemon) = std::sync::Arc::try_unwrap(daemon) else {
        panic!("every client is done")
    };
    daemon.stop().await;
}

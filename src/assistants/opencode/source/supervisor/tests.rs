//! The supervisor's give-up paths, without a real opencode.

use std::time::Duration;

use super::*;
use crate::audit::{AuditLog, AuditOptions};

fn spec(program: &str, port: u16, max_restarts: u32) -> ServeSpec {
    ServeSpec {
        program: PathBuf::from(program),
        hostname: "127.0.0.1".into(),
        port,
        cwd: None,
        env: BTreeMap::new(),
        password: None,
        auto_restart: true,
        restart_delay: Duration::ZERO,
        health_interval: Duration::from_secs(30),
        max_restarts,
        restart_window: Duration::from_secs(600),
    }
}

/// Runs the supervisor to its end; returns the audit events it recorded.
async fn supervise_until_done(spec: ServeSpec) -> Vec<AuditEvent> {
    let tmp = tempfile::tempdir().unwrap();
    let log = AuditLog::open(
        tmp.path().join("audit.jsonl"),
        AuditOptions {
            max_bytes: 1 << 20,
            keep: 1,
        },
    )
    .unwrap();
    let (audit, _task) = AuditWriter::spawn(log);
    let mut rx = audit.subscribe();
    let link = ServerLink::new(None);
    tokio::time::timeout(
        Duration::from_secs(20),
        supervise(spec, link.clone(), audit.clone(), CancellationToken::new()),
    )
    .await
    .expect("the supervisor gives up by itself");
    assert_eq!(link.current(), None);
    audit.flush().await;
    std::iter::from_fn(|| rx.try_recv().ok().map(std::sync::Arc::unwrap_or_clone)).collect()
}

fn kinds(events: &[AuditEvent]) -> Vec<EventType> {
    events.iter().map(|e| e.event).collect()
}

#[tokio::test]
async fn a_server_that_cannot_start_is_retried_then_given_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let events = supervise_until_done(spec("/nonexistent/opencode", port, 2)).await;
    assert_eq!(
        kinds(&events),
        vec![EventType::ServerGaveUp, EventType::NeedsAttention]
    );
    let msg = events[0].message.clone().unwrap();
    assert!(
        msg.contains("cannot start") && msg.contains("2 restarts"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_port_another_server_answers_on_is_not_taken_over() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/global/health",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!({"healthy": true, "version": "x"}))
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let events = supervise_until_done(spec("/bin/true", port, 0)).await;
    server.abort();
    assert_eq!(
        kinds(&events),
        vec![EventType::ServerGaveUp, EventType::NeedsAttention]
    );
    assert!(
        events[0]
            .message
            .clone()
            .unwrap()
            .contains("already answers"),
        "{events:?}"
    );
}

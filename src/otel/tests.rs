use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

use super::StopTraces;
use crate::audit::{AuditEvent, EventType};
use crate::model::SessionKey;

fn ev(kind: EventType, session: &str, secs: i64) -> AuditEvent {
    let t0: chrono::DateTime<chrono::Utc> = "2026-11-30T10:00:00Z".parse().unwrap();
    AuditEvent::new(kind)
        .at(t0 + chrono::Duration::seconds(secs))
        .session_key(&SessionKey::new(
            crate::assistants::codex::ASSISTANT,
            session,
        ))
}

fn run(events: &[AuditEvent]) -> Vec<SpanData> {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let mut traces = StopTraces::new(provider.tracer("test"));
    for e in events {
        traces.observe(e);
    }
    exporter.get_finished_spans().unwrap()
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[test]
fn retries_stay_in_one_trace_and_a_failed_session_is_an_error() {
    let spans = run(&[
        ev(EventType::StopDetected, "s", 0).reason("rate_limit"),
        ev(EventType::ResumeScheduled, "s", 0).meta("attempt", 1),
        ev(EventType::ResumeStarted, "s", 5).meta("attempt", 1),
        ev(EventType::ResumeFailed, "s", 10).message("no new output"),
        ev(EventType::ResumeScheduled, "s", 10).meta("attempt", 2),
        ev(EventType::ResumeStarted, "s", 20).meta("attempt", 2),
        ev(EventType::SessionFailed, "s", 30).message("gave up after 2 attempts"),
    ]);
    let root = spans.iter().find(|s| s.name == "stop").unwrap();
    assert!(
        matches!(root.status, Status::Error { .. }),
        "{:?}",
        root.status
    );
    assert_eq!(
        attr(root, "palingenesis.outcome").as_deref(),
        Some("failed")
    );
    assert_eq!(attr(root, "palingenesis.attempts").as_deref(), Some("2"));
    let attempts: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "resume attempt")
        .collect();
    assert_eq!(attempts.len(), 2);
    assert!(matches!(attempts[0].status, Status::Error { .. }));
    assert!(
        spans
            .iter()
            .all(|s| s.span_context.trace_id() == root.span_context.trace_id()),
        "one trace"
    );
    assert!(spans.iter().all(|s| s.name != "verified"));
}

#[test]
fn a_new_session_continues_the_trace_until_it_is_verified() {
    let spans = run(&[
        ev(EventType::StopDetected, "old", 0).reason("context_exhausted"),
        ev(EventType::ResumeScheduled, "old", 0).meta("attempt", 1),
        ev(EventType::ResumeStarted, "old", 1).meta("attempt", 1),
        ev(EventType::SessionCreated, "new", 2)
            .action("new_session")
            .meta("replaces", "old"),
        ev(EventType::SessionDone, "old", 2),
        ev(EventType::ResumeCompleted, "new", 9),
        ev(EventType::StopDetected, "other", 9).reason("rate_limit"),
    ]);
    let root = spans.iter().find(|s| s.name == "stop").unwrap();
    assert_eq!(
        attr(root, "palingenesis.outcome").as_deref(),
        Some("verified")
    );
    assert_eq!(root.status, Status::Ok);
    assert_eq!(root.events.events[0].name, "continued in a new session");
    assert!(spans.iter().any(|s| s.name == "verified"));
    assert_eq!(
        spans.iter().filter(|s| s.name == "stop").count(),
        1,
        "the other session's stop is still open, so not exported"
    );
}

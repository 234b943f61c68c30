//! Every audit event as an OpenTelemetry log record: the event type as its name and body (or its message),
//! its fields as attributes, warnings for what needs a human, and the trace context of the stop it belongs to.

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, Severity};
use opentelemetry::trace::SpanContext;
use opentelemetry_sdk::logs::SdkLogger;

use crate::audit::{AuditEvent, EventType};

fn severity(event: EventType) -> (Severity, &'static str) {
    match event {
        EventType::ResumeFailed
        | EventType::SessionFailed
        | EventType::NeedsAttention
        | EventType::ServerGaveUp
        | EventType::ConfigRejected => (Severity::Warn, "WARN"),
        _ => (Severity::Info, "INFO"),
    }
}

pub fn emit(logger: &SdkLogger, e: &AuditEvent, stop: Option<&SpanContext>) {
    let mut record = logger.create_log_record();
    let (number, text) = severity(e.event);
    record.set_timestamp(e.ts.into());
    record.set_severity_number(number);
    record.set_severity_text(text);
    record.set_event_name(e.event.as_str());
    record.set_body(AnyValue::from(
        e.message.clone().unwrap_or_else(|| e.event.to_string()),
    ));
    record.add_attribute("palingenesis.event", e.event.as_str());
    for (key, value) in [
        ("palingenesis.session", &e.session),
        ("palingenesis.action", &e.action),
        ("palingenesis.outcome", &e.outcome),
        ("palingenesis.reason", &e.reason),
    ] {
        if let Some(v) = value {
            record.add_attribute(key, v.clone());
        }
    }
    if let Some(a) = e.assistant {
        record.add_attribute("palingenesis.assistant", a.as_str());
    }
    if let Some(cx) = stop {
        record.set_trace_context(cx.trace_id(), cx.span_id(), Some(cx.trace_flags()));
    }
    logger.emit(record);
}

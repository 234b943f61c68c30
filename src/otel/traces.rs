//! One trace per stop, derived from the audit stream: a root `stop` span from the moment the agent stopped to
//! the moment the stop is resolved, with children `detected` (stop → detection), `classified`, `waiting`
//! (planned → resume started), one `resume attempt` per attempt, and `verified`. Attributes: assistant,
//! session, reason, reset instant, planned resume instant, attempt number, action, outcome.
//!
//! A trace stays open across attempts and across a new session that continues the work; it ends with the
//! first of `ResumeCompleted` (ok), `SessionFailed` (error), `NeedsAttention`, `SessionDone` or
//! `ResumeCancelled`.

use std::collections::HashMap;
use std::time::SystemTime;

use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Span, Tracer};

use crate::audit::{AuditEvent, EventType};

struct OpenStop {
    root: Span,
    parent: Context,
    waiting: Option<Span>,
    attempt: Option<Span>,
    /// The highest attempt number started (set on the root when it ends: attributes are not replaced).
    attempts: i64,
}

/// Turns audit events into spans. Holds only the stops still open.
pub struct StopTraces {
    tracer: Tracer,
    open: HashMap<String, OpenStop>,
}

fn time(e: &AuditEvent) -> SystemTime {
    SystemTime::from(e.ts)
}

fn meta_str(e: &AuditEvent, key: &str) -> Option<String> {
    e.metadata
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

impl StopTraces {
    pub fn new(tracer: Tracer) -> StopTraces {
        StopTraces {
            tracer,
            open: HashMap::new(),
        }
    }

    /// The root span of `session`'s open stop, for correlating logs with it.
    pub fn context_of(&self, session: &str) -> Option<opentelemetry::trace::SpanContext> {
        self.open
            .get(session)
            .map(|open| open.root.span_context().clone())
    }

    fn span(
        &self,
        name: &'static str,
        parent: &Context,
        start: SystemTime,
        attributes: Vec<KeyValue>,
    ) -> Span {
        self.tracer
            .span_builder(name)
            .with_kind(SpanKind::Internal)
            .with_start_time(start)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, parent)
    }

    fn common(e: &AuditEvent) -> Vec<KeyValue> {
        let mut kv = vec![KeyValue::new(
            "palingenesis.session",
            e.session.clone().unwrap_or_default(),
        )];
        if let Some(a) = e.assistant {
            kv.push(KeyValue::new("palingenesis.assistant", a.as_str()));
        }
        kv
    }

    pub fn observe(&mut self, e: &AuditEvent) {
        let Some(session) = e.session.clone() else {
            return;
        };
        match e.event {
            EventType::StopDetected => self.on_stop(session, e),
            EventType::ResumeScheduled => self.on_scheduled(&session, e),
            EventType::ResumeStarted => self.on_started(&session, e),
            EventType::ResumeFailed => {
                if let Some(open) = self.open.get_mut(&session)
                    && let Some(mut attempt) = open.attempt.take()
                {
                    attempt.set_status(Status::error(e.message.clone().unwrap_or_default()));
                    attempt.set_attribute(KeyValue::new("palingenesis.outcome", "failed"));
                    attempt.end_with_timestamp(time(e));
                }
            }
            EventType::SessionCreated => {
                if let Some(old) = meta_str(e, "replaces")
                    && let Some(open) = self.open.remove(&old)
                {
                    let mut open = open;
                    open.root.add_event_with_timestamp(
                        "continued in a new session",
                        time(e),
                        vec![KeyValue::new("palingenesis.new_session", session.clone())],
                    );
                    self.open.insert(session, open);
                }
            }
            EventType::ResumeCompleted => self.finish(&session, e, "verified", None),
            EventType::SessionFailed => self.finish(
                &session,
                e,
                "failed",
                Some(e.message.clone().unwrap_or_else(|| "failed".into())),
            ),
            EventType::NeedsAttention => self.finish(&session, e, "needs_attention", None),
            EventType::SessionDone => self.finish(&session, e, "done", None),
            EventType::ResumeCancelled => self.finish(&session, e, "cancelled", None),
            _ => {}
        }
    }

    fn on_stop(&mut self, session: String, e: &AuditEvent) {
        let reason = e.reason.clone().unwrap_or_default();
        let stopped_at = e
            .metadata
            .get("at")
            .and_then(|v| serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v.clone()).ok())
            .map(SystemTime::from)
            .filter(|at| *at <= time(e))
            .unwrap_or_else(|| time(e));
        let reset_at = e
            .metadata
            .get("detail")
            .and_then(|d| d.get("resets_at"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let mut attributes = Self::common(e);
        attributes.push(KeyValue::new("palingenesis.reason", reason.clone()));
        if let Some(reset) = &reset_at {
            attributes.push(KeyValue::new("palingenesis.reset_at", reset.clone()));
        }
        if let Some(open) = self.open.get_mut(&session) {
            // The resumed turn stopped again: same trace, the attempt failed.
            if let Some(mut attempt) = open.attempt.take() {
                attempt.set_status(Status::error(format!("stopped again ({reason})")));
                attempt.end_with_timestamp(time(e));
            }
            open.root
                .add_event_with_timestamp("stopped again", time(e), attributes);
            return;
        }
        let root = self.span("stop", &Context::new(), stopped_at, attributes.clone());
        let parent = Context::new().with_remote_span_context(root.span_context().clone());
        let mut detected = self.span("detected", &parent, stopped_at, Self::common(e));
        if let Some(origin) = e.metadata.get("origin").and_then(|v| v.as_str()) {
            detected.set_attribute(KeyValue::new("palingenesis.origin", origin.to_string()));
        }
        detected.end_with_timestamp(time(e));
        let mut classified = self.span("classified", &parent, time(e), attributes);
        if let Some(msg) = &e.message {
            classified.set_attribute(KeyValue::new("palingenesis.evidence", msg.clone()));
        }
        classified.end_with_timestamp(time(e));
        self.open.insert(
            session,
            OpenStop {
                root,
                parent,
                waiting: None,
                attempt: None,
                attempts: 0,
            },
        );
    }

    fn on_scheduled(&mut self, session: &str, e: &AuditEvent) {
        let Some(open) = self.open.get(session) else {
            return;
        };
        let mut attributes = Self::common(e);
        if let Some(reason) = &e.reason {
            attributes.push(KeyValue::new("palingenesis.reason", reason.clone()));
        }
        if let Some(action) = &e.action {
            attributes.push(KeyValue::new("palingenesis.action", action.clone()));
        }
        if let Some(at) = meta_str(e, "at") {
            attributes.push(KeyValue::new("palingenesis.resume_at", at));
        }
        if let Some(n) = e.metadata.get("attempt").and_then(|v| v.as_i64()) {
            attributes.push(KeyValue::new("palingenesis.attempt", n));
        }
        let span = self.span("waiting", &open.parent, time(e), attributes);
        let open = self.open.get_mut(session).expect("checked");
        if let Some(mut previous) = open.waiting.replace(span) {
            previous.end_with_timestamp(time(e));
        }
    }

    fn on_started(&mut self, session: &str, e: &AuditEvent) {
        let Some(open) = self.open.get(session) else {
            return;
        };
        let attempt = e
            .metadata
            .get("attempt")
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        let mut attributes = Self::common(e);
        attributes.push(KeyValue::new("palingenesis.attempt", attempt));
        if let Some(action) = &e.action {
            attributes.push(KeyValue::new("palingenesis.action", action.clone()));
        }
        if let Some(reach) = meta_str(e, "reach") {
            attributes.push(KeyValue::new("palingenesis.reach", reach));
        }
        let span = self.span("resume attempt", &open.parent, time(e), attributes);
        let open = self.open.get_mut(session).expect("checked");
        if let Some(mut waiting) = open.waiting.take() {
            waiting.end_with_timestamp(time(e));
        }
        if let Some(mut previous) = open.attempt.replace(span) {
            previous.end_with_timestamp(time(e));
        }
        open.attempts = open.attempts.max(attempt);
    }

    /// Resolve `session`'s stop: end every open span and the root.
    fn finish(
        &mut self,
        session: &str,
        e: &AuditEvent,
        outcome: &'static str,
        error: Option<String>,
    ) {
        let Some(mut open) = self.open.remove(session) else {
            return;
        };
        let at = time(e);
        if let Some(mut waiting) = open.waiting.take() {
            waiting.end_with_timestamp(at);
        }
        if let Some(mut attempt) = open.attempt.take() {
            attempt.set_attribute(KeyValue::new("palingenesis.outcome", outcome));
            if outcome == "verified" {
                attempt.set_status(Status::Ok);
            }
            attempt.end_with_timestamp(at);
        }
        if outcome == "verified" {
            let mut verified = self.span("verified", &open.parent, at, Self::common(e));
            verified.set_status(Status::Ok);
            verified.end_with_timestamp(at);
        }
        open.root.set_attributes([
            KeyValue::new("palingenesis.outcome", outcome),
            KeyValue::new("palingenesis.attempts", open.attempts),
        ]);
        match error {
            Some(message) => open.root.set_status(Status::error(message)),
            None if outcome == "verified" => open.root.set_status(Status::Ok),
            None => {}
        }
        open.root.end_with_timestamp(at);
    }
}

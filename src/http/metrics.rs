//! Prometheus metrics, derived from the audit stream (counters) and the engine's state at scrape time
//! (gauges). Nothing on the engine's path knows about metrics.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::audit::{AuditEvent, EventType};
use crate::protocol::SessionList;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    pub event: String,
    pub assistant: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub assistant: String,
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    pub source: String,
}

pub struct Metrics {
    registry: Registry,
    events: Family<EventLabels, Counter>,
    sessions: Family<StateLabels, Gauge>,
    garbage: Family<SourceLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let mut registry = <Registry>::with_prefix("palingenesis");
        let events = Family::<EventLabels, Counter>::default();
        registry.register(
            "events",
            "Audit events recorded since the daemon started",
            events.clone(),
        );
        let sessions = Family::<StateLabels, Gauge>::default();
        registry.register(
            "sessions",
            "Tracked sessions by assistant and state",
            sessions.clone(),
        );
        let garbage = Family::<SourceLabels, Counter>::default();
        registry.register(
            "garbage_lines",
            "Lines a source could not use (not JSON, unknown, oversized, not UTF-8)",
            garbage.clone(),
        );
        Arc::new(Metrics {
            registry,
            events,
            sessions,
            garbage,
        })
    }

    pub fn observe(&self, e: &AuditEvent) {
        self.events
            .get_or_create(&EventLabels {
                event: e.event.to_string(),
                assistant: e.assistant.map(|a| a.to_string()).unwrap_or_default(),
                reason: e.reason.clone().unwrap_or_default(),
            })
            .inc();
    }

    /// Render, with session gauges taken from `sessions` (the engine's current list).
    pub fn render(&self, sessions: &SessionList) -> String {
        self.sessions.clear();
        for s in &sessions.sessions {
            self.sessions
                .get_or_create(&StateLabels {
                    assistant: s.key.assistant.to_string(),
                    state: s.state.as_str().into(),
                })
                .inc();
        }
        for (source, n) in crate::sources::garbage::counts() {
            let counter = self.garbage.get_or_create(&SourceLabels {
                source: source.name().into(),
            });
            counter.inc_by(n.saturating_sub(counter.get()));
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    /// Count every audit event until `stop`.
    pub async fn follow(
        self: Arc<Self>,
        mut rx: broadcast::Receiver<AuditEvent>,
        stop: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                got = rx.recv() => match got {
                    Ok(e) if e.event != EventType::Unknown => self.observe(&e),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_events_and_renders_openmetrics() {
        let m = Metrics::new();
        m.observe(
            &AuditEvent::new(EventType::StopDetected)
                .assistant(crate::model::Assistant::Claude)
                .reason("rate_limit"),
        );
        m.observe(
            &AuditEvent::new(EventType::StopDetected)
                .assistant(crate::model::Assistant::Claude)
                .reason("rate_limit"),
        );
        let text = m.render(&SessionList::default());
        assert!(
            text.contains("palingenesis_events_total{event=\"StopDetected\",assistant=\"claude\",reason=\"rate_limit\"} 2"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}

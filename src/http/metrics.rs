//! Prometheus metrics. Counters of audit events come from the audit stream; everything else (session
//! gauges, pause, saves) is read from the daemon at scrape time. Nothing on the engine's path knows about
//! metrics. Names and labels are documented in `docs/observability.md`; labels are low-cardinality only
//! (assistant, state, event type, stop reason — never a session id).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::audit::{AuditEvent, EventType};
use crate::protocol::{DaemonMode, SessionList, SessionStateView, StatusReport};

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
pub struct AssistantLabels {
    pub assistant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VersionLabels {
    pub version: String,
}

/// What the daemon says at scrape time.
pub struct Snapshot<'a> {
    pub status: Option<&'a StatusReport>,
    pub sessions: &'a SessionList,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    pub source: String,
}

pub struct Metrics {
    registry: Registry,
    events: Family<EventLabels, Counter>,
    sessions: Family<StateLabels, Gauge>,
    attention: Family<AssistantLabels, Gauge>,
    saves: Family<AssistantLabels, Counter>,
    recovered: Family<AssistantLabels, Counter<f64, AtomicU64>>,
    paused: Gauge,
    start_time: Gauge,
    build_info: Family<VersionLabels, Gauge>,
    garbage: Family<SourceLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let mut m = Metrics {
            events: Family::default(),
            garbage: Family::default(),
            sessions: Family::default(),
            attention: Family::default(),
            saves: Family::default(),
            recovered: Family::default(),
            paused: Gauge::default(),
            start_time: Gauge::default(),
            build_info: Family::default(),
            registry: Registry::with_prefix("palingenesis"),
        };
        m.registry.register(
            "events",
            "Audit events recorded since the daemon started, by type, assistant and stop reason",
            m.events.clone(),
        );
        m.registry.register(
            "sessions",
            "Tracked sessions by assistant and state",
            m.sessions.clone(),
        );
        m.registry.register(
            "sessions_needing_attention",
            "Sessions a human should look at: stopped without a planned resume, failed, or not reachable",
            m.attention.clone(),
        );
        m.registry.register(
            "saves",
            "Stops resumed and verified (from the audit trail)",
            m.saves.clone(),
        );
        m.registry.register(
            "recovered_seconds",
            "Agent time recovered by saves, in seconds (see docs/observability.md)",
            m.recovered.clone(),
        );
        m.registry.register(
            "paused",
            "1 while automatic actions are paused",
            m.paused.clone(),
        );
        m.registry.register(
            "start_time_seconds",
            "When the daemon started, in Unix seconds",
            m.start_time.clone(),
        );
        m.registry.register(
            "build_info",
            "Always 1; the version is a label",
            m.build_info.clone(),
        );
        m.registry.register(
            "garbage_lines",
            "Lines a source could not use (not JSON, unknown, oversized, not UTF-8)",
            m.garbage.clone(),
        );
        Arc::new(m)
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

    /// Render as OpenMetrics text, with the scrape-time figures taken from `now`.
    pub fn render(&self, now: &Snapshot<'_>) -> String {
        self.sessions.clear();
        self.attention.clear();
        for s in &now.sessions.sessions {
            let assistant = s.key.assistant.to_string();
            self.sessions
                .get_or_create(&StateLabels {
                    assistant: assistant.clone(),
                    state: s.state.as_str().into(),
                })
                .inc();
            if needs_attention(s) {
                self.attention
                    .get_or_create(&AssistantLabels { assistant })
                    .inc();
            }
        }
        if let Some(status) = now.status {
            self.set_status(status);
        }
        for (source, n) in crate::sources::garbage::counts() {
            let counter = self.garbage.get_or_create(&SourceLabels {
                source: source.into(),
            });
            counter.inc_by(n.saturating_sub(counter.get()));
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    fn set_status(&self, status: &StatusReport) {
        self.paused
            .set(i64::from(status.mode == DaemonMode::Paused));
        self.start_time.set(status.started_at.timestamp());
        self.build_info
            .get_or_create(&VersionLabels {
                version: status.version.clone(),
            })
            .set(1);
        self.saves.clear();
        self.recovered.clear();
        for row in &status.saves.by_assistant {
            let labels = AssistantLabels {
                assistant: row.key.clone(),
            };
            self.saves.get_or_create(&labels).inc_by(row.tally.saves);
            self.recovered
                .get_or_create(&labels)
                .inc_by(row.tally.recovered_secs as f64);
        }
    }

    /// Count every audit event until `stop`.
    pub async fn follow(
        self: Arc<Self>,
        mut rx: broadcast::Receiver<std::sync::Arc<AuditEvent>>,
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

/// A session a human should look at: stopped with nothing planned, failed, or unreachable for a resume.
pub fn needs_attention(s: &crate::protocol::SessionInfo) -> bool {
    match s.state {
        SessionStateView::Stopped | SessionStateView::Failed => true,
        SessionStateView::Waiting => s.reach == "needs_attention",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_events_and_renders_openmetrics() {
        let m = Metrics::new();
        for _ in 0..2 {
            m.observe(
                &AuditEvent::new(EventType::StopDetected)
                    .assistant(crate::assistants::claude::ASSISTANT)
                    .reason("rate_limit"),
            );
        }
        let text = m.render(&Snapshot {
            status: None,
            sessions: &SessionList::default(),
        });
        assert!(
            text.contains("palingenesis_events_total{event=\"StopDetected\",assistant=\"claude\",reason=\"rate_limit\"} 2"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}

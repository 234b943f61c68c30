//! OpenTelemetry over OTLP (HTTP/protobuf) when `[otel] enabled = true`: one trace per stop ([`traces`]), every
//! audit event as a log record (correlated with its stop's trace), and an event counter, all derived from the
//! audit stream — nothing on the engine's path knows about them.
//!
//! The standard `OTEL_*` variables apply: `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
//! / `…_METRICS_ENDPOINT` win over `[otel] endpoint`; `OTEL_EXPORTER_OTLP_HEADERS`, `…_TIMEOUT`,
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_BSP_*`, `OTEL_BLRP_*` are read by
//! the SDK; `OTEL_SDK_DISABLED=true` turns it all off. gRPC is not built in (it would double the size of
//! the exporter): point it at a collector's OTLP/HTTP port (4318).

mod client;
mod logs;
pub mod traces;

#[cfg(test)]
mod tests;

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::logs::LoggerProvider as _;
use opentelemetry::metrics::{Counter, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{
    LogExporter, MetricExporter, SpanExporter, WithExportConfig, WithHttpConfig,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::{SdkLogger, SdkLoggerProvider};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::audit::{AuditEvent, AuditWriter, EventType};
use crate::config::OtelConfig;
pub use traces::StopTraces;

#[derive(Debug, thiserror::Error)]
pub enum OtelError {
    #[error("OTLP HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// Whether a standard variable is set (non-empty).
fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// `[otel] endpoint` + the signal's path, unless an `OTEL_*` endpoint variable says otherwise.
fn endpoint_for(config: &OtelConfig, signal_var: &str, path: &str) -> Option<String> {
    if env_set(signal_var) || env_set("OTEL_EXPORTER_OTLP_ENDPOINT") {
        return None;
    }
    Some(format!("{}{path}", config.endpoint.trim_end_matches('/')))
}

fn resource() -> Resource {
    let mut builder = Resource::builder()
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if !env_set("OTEL_SERVICE_NAME") {
        builder = builder.with_service_name("palingenesis");
    }
    builder.build()
}

/// Start exporting when enabled (and not disabled by `OTEL_SDK_DISABLED`). Exports until `stop`, then
/// flushes. Must be called inside the tokio runtime.
pub fn spawn(
    config: &OtelConfig,
    audit: &AuditWriter,
    tracker: &tokio_util::task::TaskTracker,
    stop: CancellationToken,
) -> Result<(), OtelError> {
    if !config.enabled
        || std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Ok(());
    }
    let client = client::RuntimeClient::new(Duration::from_secs(10))?;
    let mut spans = SpanExporter::builder()
        .with_http()
        .with_http_client(client.clone());
    if let Some(url) = endpoint_for(config, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/v1/traces") {
        spans = spans.with_endpoint(url);
    }
    let mut log_records = LogExporter::builder()
        .with_http()
        .with_http_client(client.clone());
    if let Some(url) = endpoint_for(config, "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "/v1/logs") {
        log_records = log_records.with_endpoint(url);
    }
    let mut metrics = MetricExporter::builder()
        .with_http()
        .with_http_client(client);
    if let Some(url) = endpoint_for(config, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "/v1/metrics") {
        metrics = metrics.with_endpoint(url);
    }
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource())
        .with_batch_exporter(spans.build()?)
        .build();
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource())
        .with_periodic_exporter(metrics.build()?)
        .build();
    let logger_provider = SdkLoggerProvider::builder()
        .with_resource(resource())
        .with_batch_exporter(log_records.build()?)
        .build();
    let traces = StopTraces::new(tracer_provider.tracer("palingenesis"));
    let logger = logger_provider.logger("palingenesis");
    let events = meter_provider
        .meter("palingenesis")
        .u64_counter("palingenesis.events")
        .with_description("Audit events recorded, by type, assistant and stop reason")
        .build();
    tracing::info!(endpoint = %config.endpoint, "exporting traces, logs and metrics over OTLP/HTTP");
    let rx = audit.subscribe();
    crate::tasks::spawn_tracked(tracker, async move {
        follow(rx, traces, logger, events, stop).await;
        // Flushing waits on the exporters' threads, which wait on this runtime: off the async threads.
        let flushed = crate::tasks::spawn_blocking(move || {
            let t = tracer_provider.shutdown();
            let l = logger_provider.shutdown();
            let m = meter_provider.shutdown();
            (t, l, m)
        })
        .await;
        match flushed {
            Ok((Ok(()), Ok(()), Ok(()))) => tracing::debug!("OTLP exporters flushed"),
            other => tracing::warn!(result = ?other, "OTLP exporters did not flush cleanly"),
        }
    });
    Ok(())
}

async fn follow(
    mut rx: broadcast::Receiver<std::sync::Arc<AuditEvent>>,
    mut traces: StopTraces,
    logger: SdkLogger,
    events: Counter<u64>,
    stop: CancellationToken,
) {
    loop {
        let got = tokio::select! {
            _ = stop.cancelled() => break,
            got = rx.recv() => got,
        };
        match got {
            Ok(e) if e.event != EventType::Unknown => {
                // The log joins the trace of the stop it belongs to: the one open before the event (which may
                // end it), else the one the event opens.
                let session = e.session.clone().unwrap_or_default();
                let before = traces.context_of(&session);
                traces.observe(&e);
                let stop = before.or_else(|| traces.context_of(&session));
                logs::emit(&logger, &e, stop.as_ref());
                events.add(
                    1,
                    &[
                        KeyValue::new("event", e.event.as_str()),
                        KeyValue::new(
                            "assistant",
                            e.assistant.map(|a| a.as_str()).unwrap_or_default(),
                        ),
                        KeyValue::new("reason", e.reason.clone().unwrap_or_default()),
                    ],
                );
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "OTLP export fell behind the audit stream");
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

//! `GET /api/v1/events`: live audit events as server-sent events, optionally filtered by type and session.

use std::convert::Infallible;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures::Stream;
use tokio_util::sync::CancellationToken;

use super::AppState;
use crate::audit::{AuditEvent, EventType};

#[derive(serde::Deserialize)]
pub struct EventFilter {
    #[serde(rename = "type")]
    kind: Option<String>,
    session: Option<String>,
}

pub async fn events(
    State(state): State<AppState>,
    Query(filter): Query<EventFilter>,
) -> HttpResponse {
    let kind: Option<EventType> = filter
        .kind
        .and_then(|k| serde_json::from_value(serde_json::Value::String(k)).ok());
    let rx = state.audit.subscribe();
    let stream = event_stream(rx, kind, filter.session, state.shutdown.clone());
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn event_stream(
    rx: tokio::sync::broadcast::Receiver<std::sync::Arc<AuditEvent>>,
    kind: Option<EventType>,
    session: Option<String>,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(rx, move |mut rx| {
        let session = session.clone();
        let shutdown = shutdown.clone();
        async move {
            loop {
                let got = tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    got = rx.recv() => got,
                };
                match got {
                    Ok(e) => {
                        if kind.is_some_and(|k| k != e.event)
                            || session
                                .as_ref()
                                .is_some_and(|s| e.session.as_ref() != Some(s))
                        {
                            continue;
                        }
                        let data = serde_json::to_string(&e).unwrap_or_default();
                        return Some((
                            Ok(Event::default().event(e.event.to_string()).data(data)),
                            rx,
                        ));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    })
}

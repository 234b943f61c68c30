//! The HTTP control surface: the same [`Request`]/[`Response`] protocol as the socket, as JSON over HTTP, plus
//! a live event stream (SSE) and Prometheus metrics. Loopback by default, and every request (metrics
//! included) passes [`auth::Guard`]: loopback `Host`, no `Origin`, the bearer token, JSON bodies.

pub mod auth;
mod limit;
mod metrics;

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::audit::{AuditWriter, EventType};
use crate::engine::EngineHandle;
use crate::protocol::{ErrorCode, Request, Response, Target};
pub use metrics::Metrics;

#[derive(Clone)]
struct AppState {
    engine: EngineHandle,
    audit: AuditWriter,
    metrics: Arc<Metrics>,
    /// Ends live streams, so graceful shutdown does not wait on them forever.
    shutdown: CancellationToken,
}

/// Bind `[http].bind` and serve on `tracker` until `shutdown`. Fails only if the address cannot be bound.
pub async fn spawn(
    config: &crate::config::HttpConfig,
    engine: EngineHandle,
    audit: AuditWriter,
    guard: Arc<auth::Guard>,
    tracker: &tokio_util::task::TaskTracker,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(&config.bind).await?;
    tracing::info!(bind = %config.bind, "HTTP API listening");
    tracker.spawn(async move {
        if let Err(e) = serve(listener, engine, audit, guard, shutdown).await {
            tracing::error!(error = %e, "HTTP API stopped");
        }
    });
    Ok(())
}

/// Serve until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    engine: EngineHandle,
    audit: AuditWriter,
    guard: Arc<auth::Guard>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let metrics = Metrics::new();
    tokio::spawn(metrics.clone().follow(audit.subscribe(), shutdown.clone()));
    let state = AppState {
        engine,
        audit,
        metrics,
        shutdown: shutdown.clone(),
    };
    let mut app = Router::new().route("/api/v1/request", post(any_request));
    for (path, req) in [
        ("/api/v1/status", Request::Status),
        ("/api/v1/health", Request::Health),
        ("/api/v1/sessions", Request::Sessions),
        ("/api/v1/preview", Request::Preview),
    ] {
        app = app.route(path, get(move |s: State<AppState>| simple(s, req)));
    }
    for (path, req) in [
        ("/api/v1/pause", Request::Pause),
        ("/api/v1/resume", Request::Resume),
        ("/api/v1/reload", Request::Reload),
    ] {
        app = app.route(path, post(move |s: State<AppState>| simple(s, req)));
    }
    for (path, make) in [
        ("/api/v1/skip", Request::Skip as fn(Target) -> Request),
        ("/api/v1/abort", Request::Abort),
        ("/api/v1/new-session", Request::NewSession),
    ] {
        app = app.route(
            path,
            post(move |s: State<AppState>, t: Option<Json<Target>>| targeted(s, t, make)),
        );
    }
    let app = app
        .route("/api/v1/events", get(events))
        .route("/metrics", get(metrics_route))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(guard, auth::guard));
    axum::serve(limit::BoundedListener::new(listener), app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

fn status_of(resp: &Response) -> StatusCode {
    match resp {
        Response::Error(e) => match e.code {
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InvalidConfig => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        },
        _ => StatusCode::OK,
    }
}

async fn answer(state: &AppState, req: Request) -> HttpResponse {
    if matches!(req, Request::Hello(_) | Request::Shutdown) {
        return (
            StatusCode::FORBIDDEN,
            Json(Response::error(
                ErrorCode::BadRequest,
                "not available over HTTP",
            )),
        )
            .into_response();
    }
    let resp = state.engine.request(req).await;
    (status_of(&resp), Json(resp)).into_response()
}

async fn simple(State(state): State<AppState>, req: Request) -> HttpResponse {
    answer(&state, req).await
}

async fn targeted(
    State(state): State<AppState>,
    target: Option<Json<Target>>,
    make: fn(Target) -> Request,
) -> HttpResponse {
    answer(&state, make(target.map(|Json(t)| t).unwrap_or_default())).await
}

/// Any protocol request as JSON (`{"request": "status"}`).
async fn any_request(State(state): State<AppState>, Json(req): Json<Request>) -> HttpResponse {
    answer(&state, req).await
}

#[derive(serde::Deserialize)]
struct EventFilter {
    #[serde(rename = "type")]
    kind: Option<String>,
    session: Option<String>,
}

/// Live audit events as server-sent events.
async fn events(State(state): State<AppState>, Query(filter): Query<EventFilter>) -> HttpResponse {
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
    rx: tokio::sync::broadcast::Receiver<crate::audit::AuditEvent>,
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

async fn metrics_route(State(state): State<AppState>) -> HttpResponse {
    let sessions = match state.engine.request(Request::Sessions).await {
        Response::Sessions(list) => list,
        _ => Default::default(),
    };
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&sessions),
    )
        .into_response()
}

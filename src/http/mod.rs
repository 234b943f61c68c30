//! The HTTP control surface: the same [`Request`]/[`Response`] protocol as the socket, as JSON over HTTP, plus
//! a live event stream (SSE), Prometheus metrics and the web dashboard (`GET /`). Loopback by default, and every
//! request (metrics included) passes [`auth::Guard`]: loopback `Host`, no foreign `Origin`, the token (bearer, or
//! the dashboard's sign-in cookie), JSON bodies. Connections are bounded (`limit`).

pub mod auth;
mod dashboard;
mod exposition;
mod limit;
mod metrics;
mod signin;
mod sse;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::audit::AuditWriter;
use crate::protocol::{ErrorCode, ForgetRequest, Request, Response, Target};
use crate::surface::Surface;
pub use exposition::{Format, to_prometheus_text};
pub use metrics::{Metrics, Snapshot, needs_attention};

#[derive(Clone)]
struct AppState {
    surface: Surface,
    audit: AuditWriter,
    guard: Arc<auth::Guard>,
    metrics: Arc<Metrics>,
    /// Ends live streams, so graceful shutdown does not wait on them forever.
    shutdown: CancellationToken,
}

/// Bind `[http].bind` and serve on `tracker` until `shutdown`. Fails only if the address cannot be bound.
/// `extra` routes (the chat platforms' endpoints, see [`crate::chat::routes`]) bring their own authentication.
pub async fn spawn(
    config: &crate::config::HttpConfig,
    surface: Surface,
    audit: AuditWriter,
    extra: Router,
    guard: Arc<auth::Guard>,
    tracker: &tokio_util::task::TaskTracker,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(&config.bind).await?;
    tracing::info!(bind = %config.bind, "HTTP API listening");
    crate::tasks::spawn_tracked(tracker, async move {
        if let Err(e) = serve(listener, surface, audit, guard, extra, shutdown).await {
            tracing::error!(error = %e, "HTTP API stopped");
        }
    });
    Ok(())
}

/// Serve until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    surface: Surface,
    audit: AuditWriter,
    guard: Arc<auth::Guard>,
    extra: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let metrics = Metrics::new();
    crate::tasks::spawn(metrics.clone().follow(audit.subscribe(), shutdown.clone()));
    let state = AppState {
        surface,
        audit,
        guard: guard.clone(),
        metrics,
        shutdown: shutdown.clone(),
    };
    let app = router(state)
        .layer(axum::middleware::from_fn_with_state(guard, auth::guard))
        .merge(extra);
    axum::serve(limit::BoundedListener::new(listener), app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

fn router(state: AppState) -> Router {
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
    app.route("/api/v1/forget", post(forget))
        .route("/api/v1/events", get(sse::events))
        .route("/api/v1/login", post(signin::login))
        .route("/api/v1/logout", post(signin::logout))
        .route("/metrics", get(metrics_route))
        .merge(dashboard::routes())
        .with_state(state)
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
    // A checkpoint writes files in the directory it names: agents checkpoint through the local MCP server only.
    if matches!(
        req,
        Request::Hello(_) | Request::Shutdown | Request::Checkpoint(_)
    ) {
        return (
            StatusCode::FORBIDDEN,
            Json(Response::error(
                ErrorCode::BadRequest,
                "not available over HTTP",
            )),
        )
            .into_response();
    }
    let resp = state.surface.request(req).await;
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

/// `POST /api/v1/forget` with `{"session": "…", "force": false}`.
async fn forget(State(state): State<AppState>, Json(req): Json<ForgetRequest>) -> HttpResponse {
    answer(&state, Request::Forget(req)).await
}

/// Any protocol request as JSON (`{"request": "status"}`).
async fn any_request(State(state): State<AppState>, Json(req): Json<Request>) -> HttpResponse {
    answer(&state, req).await
}

/// Prometheus text 0.0.4 by default, OpenMetrics when the scraper asks for it.
async fn metrics_route(State(state): State<AppState>, headers: HeaderMap) -> HttpResponse {
    let status = match state.surface.request(Request::Status).await {
        Response::Status(s) => Some(s),
        _ => None,
    };
    let sessions = match state.surface.request(Request::Sessions).await {
        Response::Sessions(list) => list,
        _ => Default::default(),
    };
    let openmetrics = state.metrics.render(&Snapshot {
        status: status.as_ref(),
        sessions: &sessions,
    });
    let format = Format::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    (
        [(header::CONTENT_TYPE, format.content_type())],
        format.render(&openmetrics),
    )
        .into_response()
}

//! The web dashboard, `GET /`: one page (HTML, CSS, JS) embedded in the binary, no CDN and no build step. It
//! reads the same API as every other client (`/api/v1/status`, `/api/v1/sessions`), follows the live
//! `/api/v1/events` stream, and its buttons post to the control endpoints. With a token configured it asks for
//! it once and signs in through `POST /api/v1/login` (an HttpOnly cookie; the token is never in a URL).
//! The page itself holds no data, so it is served without authentication.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::AppState;

const INDEX: &str = include_str!("dashboard/index.html");
const SCRIPT: &str = include_str!("dashboard/app.js");
const STYLE: &str = include_str!("dashboard/style.css");
const ICON: &str = include_str!("dashboard/icon.svg");

/// Same-origin only: no inline script, no third-party anything.
const POLICY: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| asset("text/html; charset=utf-8", INDEX)))
        .route(
            "/dashboard/app.js",
            get(|| asset("text/javascript; charset=utf-8", SCRIPT)),
        )
        .route(
            "/dashboard/style.css",
            get(|| asset("text/css; charset=utf-8", STYLE)),
        )
        .route("/dashboard/icon.svg", get(|| asset("image/svg+xml", ICON)))
}

async fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    use crate::audit::EventType;

    #[test]
    fn the_page_listens_for_every_event_type() {
        for t in EventType::ALL {
            if t != EventType::Unknown {
                assert!(
                    super::SCRIPT.contains(&format!("\"{}\"", t.as_str())),
                    "app.js EVENT_TYPES lacks {t}"
                );
            }
        }
    }
}

//! Who may use the HTTP surface. Without `[http] token` everyone who can reach the (loopback) bind may; with
//! one, a request carries it either as `Authorization: Bearer …` (scripts, Prometheus) or in the HttpOnly
//! cookie the dashboard's sign-in sets (`POST /api/v1/login`). A cookie alone never authorizes a state change:
//! those also need the `X-Palingenesis` header, which another web origin cannot add without a CORS preflight
//! this server never grants. The token is never put in a URL or a log line.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};

use super::AppState;
use crate::protocol::{ErrorCode, Response};

/// The dashboard's session cookie.
pub const COOKIE: &str = "palingenesis_token";
/// The header a browser client adds to state-changing requests authorized by the cookie.
pub const CLIENT_HEADER: &str = "x-palingenesis";

/// Whether the request may go on.
pub fn authorized(state: &AppState, method: &Method, headers: &HeaderMap) -> bool {
    let Some(token) = &state.token else {
        return true;
    };
    let expected = token.expose().as_bytes();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|given| constant_time_eq(given.as_bytes(), expected)) {
        return true;
    }
    let safe = method == Method::GET || method == Method::HEAD;
    (safe || headers.contains_key(CLIENT_HEADER))
        && cookie(headers).is_some_and(|given| constant_time_eq(given.as_bytes(), expected))
}

/// The value of our cookie, if the request has it.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

pub fn denied() -> HttpResponse {
    (
        StatusCode::UNAUTHORIZED,
        Json(Response::error(
            ErrorCode::BadRequest,
            "missing or wrong bearer token",
        )),
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(serde::Deserialize)]
pub struct Login {
    token: String,
}

/// `POST /api/v1/login {"token": "…"}`: checks the token and sets the HttpOnly, SameSite=Strict cookie.
pub async fn login(State(state): State<AppState>, Json(login): Json<Login>) -> HttpResponse {
    let Some(token) = &state.token else {
        return (StatusCode::OK, Json(Response::done("no token needed"))).into_response();
    };
    if !constant_time_eq(login.token.as_bytes(), token.expose().as_bytes()) {
        return denied();
    }
    if !login
        .token
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b';' && b != b',' && b != b'"' && b != b'\\')
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(Response::error(
                ErrorCode::BadRequest,
                "this token cannot be kept in a browser cookie: use printable ASCII without spaces, ; , \" or \\",
            )),
        )
            .into_response();
    }
    let cookie = format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age=31536000",
        login.token
    );
    (
        [(header::SET_COOKIE, cookie)],
        Json(Response::done("signed in")),
    )
        .into_response()
}

/// `POST /api/v1/logout`: forgets the cookie.
pub async fn logout() -> HttpResponse {
    (
        [(
            header::SET_COOKIE,
            format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
        )],
        Json(Response::done("signed out")),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_our_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; palingenesis_token=s3cret; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h), Some("s3cret"));
        h.insert(header::COOKIE, "palingenesis_token_x=no".parse().unwrap());
        assert_eq!(cookie(&h), None);
    }
}

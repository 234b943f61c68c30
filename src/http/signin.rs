//! The dashboard's sign-in: `POST /api/v1/login {"token": "…"}` checks the token and keeps it in an HttpOnly,
//! SameSite=Strict cookie, which [`super::auth`] then accepts. The token is never put in a URL or a log line.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};

use super::AppState;
use super::auth::{COOKIE, constant_time_eq};
use crate::protocol::{ErrorCode, Response};

fn denied() -> HttpResponse {
    (
        StatusCode::UNAUTHORIZED,
        Json(Response::error(ErrorCode::Unauthorized, "wrong token")),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct Login {
    token: String,
}

/// `POST /api/v1/login {"token": "…"}`: checks the token and sets the HttpOnly, SameSite=Strict cookie.
pub async fn login(State(state): State<AppState>, Json(login): Json<Login>) -> HttpResponse {
    let token = state.guard.token();
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

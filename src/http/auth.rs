//! Who may use the HTTP API. Every request, `/metrics` included, must:
//!
//! 1. name a loopback host (`localhost`, `127.0.0.1`, `[::1]`), the bound address, or one of
//!    `[http] allowed_hosts` in its `Host` header, so a web page cannot reach the API through DNS
//!    rebinding;
//! 2. carry no `Origin` header other than the daemon's own (its dashboard): any other web page is
//!    cross-origin and refused (there is no CORS);
//! 3. carry the token: as `Authorization: Bearer …` (scripts, Prometheus), or in the HttpOnly cookie the
//!    dashboard's sign-in sets (see `signin`), which alone never authorizes a state change: those also need
//!    the `X-Palingenesis` header, which another origin cannot add without a CORS preflight never granted.
//!    The token is `[http] token`, or else the one generated into a 0600 file in the state directory at first
//!    start (or by `config init`). `daemon reload` re-reads it, so a changed token takes effect and the old
//!    one stops working. Only the dashboard's page and assets and the sign-in itself need no token;
//! 4. send a JSON body, if any (`Content-Type: application/json`).
//!
//! The checks run in that order before any body is read: an unauthenticated request gets 401, never a
//! body-parsing error.

use std::path::Path;
use std::sync::{Arc, RwLock};

use axum::extract::{Request as HttpRequest, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response as HttpResponse};

use crate::config::HttpConfig;
use crate::model::Secret;
use crate::paths::Paths;
use crate::protocol::{ErrorCode, Response};

/// The current token and accepted host names; swapped whole on reload.
pub struct Guard {
    current: RwLock<Rules>,
}

struct Rules {
    token: Secret,
    hosts: Vec<String>,
}

impl Guard {
    /// The rules of `http` (reading or generating the token file when no token is configured).
    pub fn load(http: &HttpConfig, paths: &Paths) -> std::io::Result<Arc<Guard>> {
        Ok(Arc::new(Guard {
            current: RwLock::new(Rules::of(http, paths)?),
        }))
    }

    /// Take the rules of a reloaded config. On error the old rules stay.
    pub fn reload(&self, http: &HttpConfig, paths: &Paths) -> std::io::Result<()> {
        let rules = Rules::of(http, paths)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = rules;
        Ok(())
    }

    /// The token in force (the sign-in compares against it).
    pub fn token(&self) -> Secret {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .token
            .clone()
    }

    fn check(&self, method: &Method, path: &str, headers: &HeaderMap) -> Result<(), Refusal> {
        let rules = self.current.read().unwrap_or_else(|e| e.into_inner());
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(host_name);
        if !host.is_some_and(|h| rules.hosts.iter().any(|a| a.eq_ignore_ascii_case(h))) {
            return Err((
                StatusCode::FORBIDDEN,
                ErrorCode::BadRequest,
                "Host is not a loopback name nor in [http] allowed_hosts",
            ));
        }
        let own_origin = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(|h| format!("http://{h}"));
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        if origin.is_some_and(|o| Some(o) != own_origin.as_deref()) {
            return Err((
                StatusCode::FORBIDDEN,
                ErrorCode::BadRequest,
                "cross-origin requests are refused",
            ));
        }
        if is_public(method, path) {
            return Ok(());
        }
        let expected = rules.token.expose().as_bytes();
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let safe = method == Method::GET || method == Method::HEAD;
        let by_cookie = (safe || headers.contains_key(CLIENT_HEADER))
            && cookie(headers).is_some_and(|given| constant_time_eq(given.as_bytes(), expected));
        if !by_cookie && !bearer.is_some_and(|g| constant_time_eq(g.as_bytes(), expected)) {
            return Err((
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "missing or wrong bearer token",
            ));
        }
        if *method != Method::GET && has_body(headers) && !is_json(headers) {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::BadRequest,
                "request bodies must be JSON (Content-Type: application/json)",
            ));
        }
        Ok(())
    }
}

impl Rules {
    fn of(http: &HttpConfig, paths: &Paths) -> std::io::Result<Rules> {
        let token = match &http.token {
            Some(t) => t.clone(),
            None => ensure_token_file(&paths.http_token_file())?,
        };
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .into_iter()
            .map(String::from)
            .collect();
        if let Ok(addr) = http.bind.parse::<std::net::SocketAddr>()
            && !addr.ip().is_unspecified()
        {
            hosts.push(addr.ip().to_string());
        }
        hosts.extend(http.allowed_hosts.iter().cloned());
        Ok(Rules { token, hosts })
    }
}

/// Middleware running [`Guard`]'s checks before the handler (and its body extractors).
pub async fn guard(State(guard): State<Arc<Guard>>, req: HttpRequest, next: Next) -> HttpResponse {
    match guard.check(req.method(), req.uri().path(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err((status, code, why)) => {
            (status, axum::Json(Response::error(code, why))).into_response()
        }
    }
}

/// The token in `path`; a new random one (written 0600) when the file is missing or blank.
pub fn ensure_token_file(path: &Path) -> std::io::Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(t) if !t.trim().is_empty() => return Ok(Secret::new(t.trim())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let token: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    crate::store::write_atomic(path, format!("{token}\n").as_bytes())
        .map_err(std::io::Error::other)?;
    tracing::info!(file = %path.display(), "generated an HTTP API token");
    Ok(Secret::new(token))
}

/// `Host` without its port (`[::1]:7654` → `::1`, `localhost:80` → `localhost`).
/// The dashboard's session cookie.
pub const COOKIE: &str = "palingenesis_token";
/// The header the dashboard adds to state-changing requests authorized by the cookie.
pub const CLIENT_HEADER: &str = "x-palingenesis";

/// What anyone who passes the Host and Origin checks may load: the dashboard's page and assets (no data in
/// them) and the sign-in.
fn is_public(method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => path == "/" || path.starts_with("/dashboard/"),
        Method::POST => path == "/api/v1/login" || path == "/api/v1/logout",
        _ => false,
    }
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

fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Why a request is turned away: HTTP status, protocol error code, message.
type Refusal = (StatusCode, ErrorCode, &'static str);

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_lose_their_port() {
        assert_eq!(host_name("localhost:7654"), "localhost");
        assert_eq!(host_name("[::1]:7654"), "::1");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_name("evil.example"), "evil.example");
    }

    #[test]
    fn the_token_file_is_generated_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/http-token");
        let first = ensure_token_file(&path).unwrap();
        assert_eq!(first.expose().len(), 64);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(ensure_token_file(&path).unwrap(), first);
    }
}

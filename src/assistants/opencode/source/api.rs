//! A small client for the parts of opencode's HTTP API palingenesis uses: health, sessions, messages,
//! status, prompting, summarizing and the global event stream. Basic auth (user `opencode`) when a password
//! is configured; the password never reaches a log line.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::assistants::opencode::records::{SessionStatus, parse_status_map};
use crate::model::Secret;

/// How long an ordinary API call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// Summarizing runs a model turn; the call returns when it is done.
const SUMMARIZE_TIMEOUT: Duration = Duration::from_secs(600);
/// Messages fetched first when only the last assistant message is wanted.
const RECENT: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("opencode {what}: {source}")]
    Http {
        what: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("opencode {what}: HTTP {status}: {body}")]
    Status {
        what: String,
        status: StatusCode,
        body: String,
    },
    #[error("opencode {what}: unexpected answer: {detail}")]
    Decode { what: String, detail: String },
    #[error("opencode {what}: no answer within {after:?}")]
    Timeout { what: String, after: Duration },
}

/// One opencode server.
#[derive(Clone)]
pub struct Api {
    base: String,
    password: Option<Secret>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base)
            .field("password", &self.password)
            .finish()
    }
}

impl Api {
    /// A client for the server at `base` (`http://host:port`, no trailing slash needed).
    pub fn new(base: &str, password: Option<Secret>) -> Api {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        Api {
            base: base.trim_end_matches('/').to_string(),
            password,
            http,
        }
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str, dir: Option<&Path>) -> RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(d) = dir {
            req = req.query(&[("directory", d.display().to_string())]);
        }
        if let Some(p) = &self.password {
            req = req.basic_auth("opencode", Some(p.expose()));
        }
        req
    }

    async fn send(&self, what: &str, req: RequestBuilder) -> Result<reqwest::Response, ApiError> {
        let resp = req.send().await.map_err(|source| ApiError::Http {
            what: what.to_string(),
            source,
        })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        Err(ApiError::Status {
            what: what.to_string(),
            status,
            body: body.chars().take(500).collect(),
        })
    }

    async fn json(&self, what: &str, req: RequestBuilder) -> Result<Value, ApiError> {
        self.send(what, req.timeout(CALL_TIMEOUT))
            .await?
            .json::<Value>()
            .await
            .map_err(|e| ApiError::Decode {
                what: what.to_string(),
                detail: e.to_string(),
            })
    }

    /// `GET /global/health` within `timeout` (a request landing as the port opens can hang for minutes).
    pub async fn health(&self, timeout: Duration) -> Result<(), ApiError> {
        let req = self
            .request(Method::GET, "/global/health", None)
            .timeout(timeout);
        let v = self
            .send("health", req)
            .await?
            .json::<Value>()
            .await
            .map_err(|e| ApiError::Decode {
                what: "health".into(),
                detail: e.to_string(),
            })?;
        match v.get("healthy").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(ApiError::Decode {
                what: "health".into(),
                detail: v.to_string(),
            }),
        }
    }

    /// `GET /session`: every session the server knows.
    pub async fn sessions(&self) -> Result<Vec<Value>, ApiError> {
        let v = self
            .json("session list", self.request(Method::GET, "/session", None))
            .await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// `GET /session/status` for one directory: sessions that are busy or retrying.
    pub async fn statuses(
        &self,
        dir: Option<&Path>,
    ) -> Result<Vec<(String, SessionStatus)>, ApiError> {
        let v = self
            .json(
                "session status",
                self.request(Method::GET, "/session/status", dir),
            )
            .await?;
        Ok(parse_status_map(&v))
    }

    /// `GET /session/:id/message`, the last `limit` messages (all when `None`), oldest first, each `{info, parts}`.
    pub async fn messages(
        &self,
        session: &str,
        dir: Option<&Path>,
        limit: Option<u32>,
    ) -> Result<Vec<Value>, ApiError> {
        let mut req = self.request(Method::GET, &format!("/session/{session}/message"), dir);
        if let Some(n) = limit {
            req = req.query(&[("limit", n)]);
        }
        let v = self.json("session messages", req).await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// The info of the session's last assistant message, if it has one.
    pub async fn last_assistant(
        &self,
        session: &str,
        dir: Option<&Path>,
    ) -> Result<Option<Value>, ApiError> {
        let recent = self.messages(session, dir, Some(RECENT)).await?;
        if let Some(found) = last_assistant_of(&recent) {
            return Ok(Some(found));
        }
        if (recent.len() as u32) < RECENT {
            return Ok(None);
        }
        Ok(last_assistant_of(&self.messages(session, dir, None).await?))
    }

    /// `POST /session/:id/prompt_async` with one text part; opencode answers 204 and runs the turn.
    pub async fn prompt_async(
        &self,
        session: &str,
        dir: Option<&Path>,
        text: &str,
    ) -> Result<(), ApiError> {
        let req = self
            .request(
                Method::POST,
                &format!("/session/{session}/prompt_async"),
                dir,
            )
            .json(&json!({"parts": [{"type": "text", "text": text}]}))
            .timeout(CALL_TIMEOUT);
        self.send("prompt", req).await.map(|_| ())
    }

    /// `POST /session` in `dir`; returns the new session's id.
    pub async fn create_session(&self, dir: Option<&Path>) -> Result<String, ApiError> {
        let v = self
            .json(
                "create session",
                self.request(Method::POST, "/session", dir).json(&json!({})),
            )
            .await?;
        v.get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ApiError::Decode {
                what: "create session".into(),
                detail: v.to_string(),
            })
    }

    /// `POST /session/:id/summarize` with the model the session used; returns once the summary is written.
    pub async fn summarize(
        &self,
        session: &str,
        dir: Option<&Path>,
        provider: &str,
        model: &str,
    ) -> Result<(), ApiError> {
        let req = self
            .request(Method::POST, &format!("/session/{session}/summarize"), dir)
            .json(&json!({"providerID": provider, "modelID": model}))
            .timeout(SUMMARIZE_TIMEOUT);
        self.send("summarize", req).await.map(|_| ())
    }

    /// `GET /global/event`: the server's event stream for every directory (`/event` only carries the
    /// server's own directory). `timeout` bounds the wait for the response's head only, not the stream: a
    /// request landing as a server's port opens can hang for minutes.
    pub async fn events(&self, timeout: Duration) -> Result<reqwest::Response, ApiError> {
        let what = "event stream";
        let req = self
            .request(Method::GET, "/global/event", None)
            .header("accept", "text/event-stream");
        tokio::time::timeout(timeout, self.send(what, req))
            .await
            .map_err(|_| ApiError::Timeout {
                what: what.to_string(),
                after: timeout,
            })?
    }
}

/// The info of the last assistant message among `{info, parts}` entries (or bare infos).
pub fn last_assistant_of(messages: &[Value]) -> Option<Value> {
    messages
        .iter()
        .rev()
        .map(|m| m.get("info").unwrap_or(m))
        .find(|i| i.get("role").and_then(Value::as_str) == Some("assistant"))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_event_stream_that_never_answers_times_out() {
        // The port is open (the kernel completes the handshake) but nothing ever answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let api = Api::new(&format!("http://{}", silent.local_addr().unwrap()), None);
        let started = std::time::Instant::now();
        let err = api.events(Duration::from_millis(300)).await.unwrap_err();
        assert!(matches!(err, ApiError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}

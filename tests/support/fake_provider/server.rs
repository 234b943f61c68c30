//! The HTTP side of the fake provider: one axum fallback handler that records every request,
//! picks a reply from the script and renders it in the request's protocol.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::render::{Payload, Rendered};
use super::reply::Reply;
use super::request::{Protocol, RecordedRequest, path_only};
use super::{Shared, anthropic, chat, gemini, responses};

/// Serves `listener` on a new thread with its own current-thread runtime until `stop` fires.
pub fn spawn(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    stop: oneshot::Receiver<()>,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("fake-provider".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("fake provider runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let app = Router::new().fallback(handle).with_state(shared);
                tokio::select! {
                    res = axum::serve(listener, app) => {
                        if let Err(e) = res {
                            eprintln!("fake provider: server error: {e}");
                        }
                    }
                    _ = stop => {}
                }
            });
            // Streams still open (a hung client) are dropped, not awaited.
            rt.shutdown_background();
        })
        .expect("spawn fake provider thread")
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    let mut req = RecordedRequest {
        seq: 0,
        method: method.as_str().to_owned(),
        protocol: if method == Method::POST {
            Protocol::from_path(&path)
        } else {
            None
        },
        body: serde_json::from_str(&raw_body).unwrap_or(Value::Null),
        raw_body,
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        path,
        answered: String::new(),
    };

    let reply = {
        let mut inner = shared.lock();
        req.seq = inner.requests.len();
        let reply = if req.protocol.is_some() {
            Some(pick(&mut inner, &req))
        } else {
            None
        };
        req.answered = match &reply {
            Some(r) => r.summary(),
            None => "fixed".into(),
        };
        inner.requests.push(req.clone());
        reply
    };
    shared.changed.notify_all();
    shared.count.send_modify(|n| *n += 1);

    let rendered = match reply {
        None => fixed(&method, &req),
        Some(reply) => {
            let (delay, reply) = flatten(reply);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            render(&reply, &req)
        }
    };
    into_response(rendered)
}

/// Takes the first script entry matching `req` (consuming one use), else the default reply.
fn pick(inner: &mut super::Inner, req: &RecordedRequest) -> Reply {
    let Some(index) = inner.script.iter().position(|s| s.matches(req)) else {
        return inner.default.clone();
    };
    let entry = &mut inner.script[index];
    let reply = entry.reply.clone();
    match entry.remaining {
        Some(n) if n <= 1 => {
            inner.script.remove(index);
        }
        Some(n) => entry.remaining = Some(n - 1),
        None => {}
    }
    reply
}

/// Unwraps nested `Delayed` replies into one total delay and the reply to send.
fn flatten(reply: Reply) -> (Duration, Reply) {
    match reply {
        Reply::Delayed(d, inner) => {
            let (rest, reply) = flatten(*inner);
            (d + rest, reply)
        }
        other => (Duration::ZERO, other),
    }
}

fn render(reply: &Reply, req: &RecordedRequest) -> Rendered {
    if let Reply::Status {
        status,
        headers,
        body,
    } = reply
    {
        return Rendered {
            status: *status,
            headers: headers.clone(),
            payload: Payload::Json(body.clone()),
        };
    }
    if let Reply::Turn(turn) = reply {
        let mut rendered = match req.protocol {
            Some(Protocol::AnthropicMessages) => super::turn::anthropic(turn, req, req.seq),
            Some(Protocol::ChatCompletions) => chat::turn(turn, req, req.seq),
            _ => render(&Reply::Text(turn.text.clone()), req),
        };
        rendered.headers.extend(turn.headers.iter().cloned());
        return rendered;
    }
    match req.protocol.expect("model request") {
        Protocol::AnthropicMessages => anthropic::render(reply, req, req.seq),
        Protocol::ChatCompletions => chat::render(reply, req, req.seq),
        Protocol::Responses => responses::render(reply, req, req.seq),
        Protocol::Gemini => gemini::render(reply, req),
    }
}

/// Answers for everything that is not a model request.
fn fixed(method: &Method, req: &RecordedRequest) -> Rendered {
    let path = path_only(&req.path);
    if method == Method::HEAD {
        return Rendered {
            status: 200,
            headers: Vec::new(),
            payload: Payload::Empty,
        };
    }
    match (method.as_str(), path) {
        ("POST", "/v1/messages/count_tokens") => anthropic::count_tokens(req),
        ("GET", "/v1/models" | "/models") => Rendered::json(200, models()),
        _ => Rendered::json(
            404,
            json!({"type": "error", "error": {"type": "not_found_error",
                   "message": format!("fake provider: no route for {} {}", method, req.path)}}),
        ),
    }
}

/// A model list readable as both the Anthropic and the OpenAI shape.
fn models() -> Value {
    let entry = |id: &str| {
        json!({"id": id, "object": "model", "type": "model", "display_name": id,
               "created": 0, "created_at": "2025-01-01T00:00:00Z", "owned_by": "fake"})
    };
    json!({
        "object": "list",
        "data": [entry("claude-fake"), entry("gpt-5.5"), entry("fake-model")],
        "has_more": false,
        "first_id": "claude-fake",
        "last_id": "fake-model",
    })
}

fn into_response(rendered: Rendered) -> Response {
    let status = StatusCode::from_u16(rendered.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, body) = match rendered.payload {
        Payload::Empty => (None, Body::empty()),
        Payload::Json(v) => (Some("application/json"), Body::from(v.to_string())),
        Payload::Sse { frames, cut } => {
            let frames = futures::stream::iter(
                frames
                    .into_iter()
                    .map(|f| Ok::<_, std::io::Error>(Bytes::from(f))),
            );
            let body = if cut {
                // Give the partial frames time to reach the client, then break the connection.
                let tail = futures::stream::once(async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "fake provider: cut",
                    ))
                });
                Body::from_stream(frames.chain(tail))
            } else {
                Body::from_stream(frames)
            };
            (Some("text/event-stream"), body)
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    if let Some(ct) = content_type {
        h.insert("content-type", HeaderValue::from_static(ct));
    }
    if content_type == Some("text/event-stream") {
        h.insert("cache-control", HeaderValue::from_static("no-cache"));
    }
    for (k, v) in rendered.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(&v)) {
            h.append(k, v);
        }
    }
    response
}

//! Gemini API answers (`POST /v1beta/models/<model>:generateContent` and
//! `:streamGenerateContent?alt=sse`), as Gemini CLI's `@google/genai` client expects them. Errors use the
//! Google API shape `{"error": {"code", "message", "status", "details"}}` whose `details` Gemini CLI reads to
//! tell its own retries from a terminal quota.

use serde_json::{Value, json};

use super::render::{Rendered, data_frame, pieces, retry_headers, tokens};
use super::reply::Reply;
use super::request::RecordedRequest;

/// Whether `path` (query string ignored) is a Gemini model request.
pub fn is_model_path(path: &str) -> bool {
    path.starts_with("/v1beta/models/")
        && (path.ends_with(":generateContent") || path.ends_with(":streamGenerateContent"))
}

/// Whether the request asked for a streamed answer (the `:streamGenerateContent` method).
pub fn wants_stream(req: &RecordedRequest) -> bool {
    req.path_only().ends_with(":streamGenerateContent")
}

/// The model named in the path.
pub fn model(req: &RecordedRequest) -> &str {
    let path = req.path_only();
    path.strip_prefix("/v1beta/models/")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or("gemini-fake")
}

/// The last text of the last `role: user` content that is not the `<session_context>` Gemini CLI injects.
pub fn last_user_text(body: &Value) -> Option<String> {
    body.get("contents")?
        .as_array()?
        .iter()
        .rev()
        .filter(|c| c.get("role").and_then(Value::as_str) == Some("user"))
        .flat_map(|c| {
            let parts = c.get("parts").and_then(Value::as_array);
            parts.into_iter().flatten().rev()
        })
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .find(|t| !t.trim_start().starts_with("<session_context>"))
        .map(str::to_owned)
}

/// A Google API error body.
pub fn error_body(code: u16, status: &str, message: &str, details: Value) -> Value {
    json!({"error": {"code": code, "message": message, "status": status, "details": details}})
}

/// Renders `reply` for a Gemini request. `Status` and `Delayed` are handled by the caller.
pub fn render(reply: &Reply, req: &RecordedRequest) -> Rendered {
    let error = |code: u16, status: &str, message: &str| {
        Rendered::json(code, error_body(code, status, message, json!([])))
    };
    match reply {
        Reply::Text(text) if wants_stream(req) => Rendered::sse(frames(req, text, true), false),
        Reply::Text(text) => Rendered::json(200, chunk(req, text, true)),
        Reply::Disconnect { partial } => Rendered::sse(frames(req, partial, false), true),
        Reply::RateLimited { retry_after } => {
            let mut r = error(
                429,
                "RESOURCE_EXHAUSTED",
                "Resource has been exhausted (e.g. check quota).",
            );
            r.headers = retry_headers(*retry_after);
            r
        }
        Reply::UsageLimit(u) => error(
            429,
            "RESOURCE_EXHAUSTED",
            &format!(
                "You have exhausted your capacity on this model. Your quota will reset after {}s.",
                u.seconds_left()
            ),
        ),
        Reply::PromptTooLong => error(
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        ),
        Reply::Overloaded => error(
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
        ),
        Reply::StreamFailure { code, message } => {
            error(super::render::failure_status(code), "INTERNAL", message)
        }
        Reply::Status { .. } | Reply::Delayed(..) | Reply::Turn(_) => {
            unreachable!("Status, Delayed and Turn replies are rendered elsewhere")
        }
    }
}

/// One `GenerateContentResponse`; the last one of a stream carries `finishReason` and usage.
fn chunk(req: &RecordedRequest, text: &str, last: bool) -> Value {
    let mut candidate =
        json!({"content": {"role": "model", "parts": [{"text": text}]}, "index": 0});
    let mut out = json!({"candidates": [], "modelVersion": model(req)});
    if last {
        candidate["finishReason"] = json!("STOP");
        let prompt = tokens(&req.raw_body);
        let answer = tokens(text);
        out["usageMetadata"] = json!({"promptTokenCount": prompt, "candidatesTokenCount": answer,
                                      "totalTokenCount": prompt + answer});
    }
    out["candidates"] = json!([candidate]);
    out
}

/// `data:` frames with the text in pieces; unless `finish`, the last one has no `finishReason` (cut).
fn frames(req: &RecordedRequest, text: &str, finish: bool) -> Vec<String> {
    let parts = pieces(text);
    let n = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| data_frame(&chunk(req, p, finish && i + 1 == n).to_string()))
        .collect()
}

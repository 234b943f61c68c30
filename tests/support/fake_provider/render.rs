//! A protocol-neutral HTTP answer the server turns into a response, plus shared helpers.

use serde_json::Value;

/// The body of an answer.
#[derive(Debug)]
pub enum Payload {
    /// `application/json`.
    Json(Value),
    /// `text/event-stream` frames, each already formatted (`event: …\ndata: …\n\n`). When `cut`
    /// is set the connection is broken after the last frame instead of ending cleanly.
    Sse { frames: Vec<String>, cut: bool },
    /// No body.
    Empty,
}

/// Status, headers and payload of one answer.
#[derive(Debug)]
pub struct Rendered {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub payload: Payload,
}

impl Rendered {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Rendered {
        Rendered {
            status,
            headers: Vec::new(),
            payload: Payload::Json(body),
        }
    }

    /// A 200 event stream.
    pub fn sse(frames: Vec<String>, cut: bool) -> Rendered {
        Rendered {
            status: 200,
            headers: Vec::new(),
            payload: Payload::Sse { frames, cut },
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Rendered {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// An SSE frame with an `event:` line (Anthropic, Responses).
pub fn named_frame(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// An SSE frame with only a `data:` line (chat completions).
pub fn data_frame(data: &str) -> String {
    format!("data: {data}\n\n")
}

/// A rough token count for usage fields: a quarter of the characters, at least 1.
pub fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64 / 4).max(1)
}

/// Splits `text` into up to three pieces on char boundaries, so streams carry several deltas.
pub fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 6 {
        return vec![text.to_owned()];
    }
    let third = chars.len() / 3;
    vec![
        chars[..third].iter().collect(),
        chars[third..2 * third].iter().collect(),
        chars[2 * third..].iter().collect(),
    ]
}

/// `retry-after` (whole seconds, rounded up) and `retry-after-ms` headers for a delay.
pub fn retry_headers(retry_after: std::time::Duration) -> Vec<(String, String)> {
    let ms = retry_after.as_millis();
    let secs = ms.div_ceil(1000);
    vec![
        ("retry-after".to_owned(), secs.to_string()),
        ("retry-after-ms".to_owned(), ms.to_string()),
    ]
}

/// Current Unix time in seconds.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The HTTP status a non-streamed request gets for an in-stream failure `code`.
pub fn failure_status(code: &str) -> u16 {
    match code {
        "overloaded_error" => 529,
        "server_is_overloaded" | "slow_down" => 503,
        "rate_limit_error" | "rate_limit_exceeded" => 429,
        "invalid_request_error" | "context_length_exceeded" => 400,
        _ => 500,
    }
}

//! What the fake provider answers: protocol-neutral replies and the script that picks them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::request::{Protocol, RecordedRequest};
pub use super::turn::Turn;

/// One answer to a model request, rendered in whichever protocol the request used.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A successful assistant turn with this text (streamed if the request asked for a stream).
    Text(String),
    /// Exactly this status, headers and JSON body, whatever the protocol.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: Value,
    },
    /// A plain 429 rate limit in the protocol's own error shape, with `retry-after` (whole seconds,
    /// rounded up) and `retry-after-ms` headers.
    RateLimited { retry_after: Duration },
    /// A usage (quota) limit in the form each client turns into its "you've hit your limit" text;
    /// see [`UsageLimit`].
    UsageLimit(UsageLimit),
    /// The context window is exhausted: Anthropic 400 `prompt is too long: 210000 tokens > 200000
    /// maximum`; OpenAI 400 `context_length_exceeded`.
    PromptTooLong,
    /// The provider is overloaded: Anthropic 529 `overloaded_error`; chat completions 503
    /// `server_error`; Responses an in-stream `response.failed` with code `server_is_overloaded`
    /// (what Codex maps to `server_overloaded`; an HTTP 503 would read as
    /// `http_connection_failed` there).
    Overloaded,
    /// Wait this long, then send the inner reply (e.g. to keep a session busy).
    Delayed(Duration, Box<Reply>),
    /// Start a streamed text answer with `partial`, then cut the connection before it completes.
    Disconnect { partial: String },
    /// A 200 stream that fails in-band: Anthropic `event: error` after `message_start`; Responses
    /// `response.failed` with `error.code`; chat completions a `data: {"error": …}` chunk.
    /// `code` is the Anthropic error type / OpenAI error code (e.g. `overloaded_error`,
    /// `server_is_overloaded`, `context_length_exceeded`). A non-streamed request (Claude's
    /// fallback after failed streams) gets the matching HTTP error instead.
    StreamFailure { code: String, message: String },
    /// A successful turn reporting chosen token usage and maybe calling a tool (see [`Turn`]).
    Turn(Turn),
}

impl Reply {
    /// A successful turn answering `text`.
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Text(text.into())
    }

    /// Exactly this status, headers and JSON body.
    pub fn status(status: u16, headers: &[(&str, &str)], body: Value) -> Reply {
        Reply::Status {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body,
        }
    }

    /// A 429 rate limit asking to retry after `retry_after`.
    pub fn rate_limited(retry_after: Duration) -> Reply {
        Reply::RateLimited { retry_after }
    }

    /// An in-band stream failure with this error type / code.
    pub fn stream_failure(code: &str, message: &str) -> Reply {
        Reply::StreamFailure {
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    /// This reply, sent after `delay`.
    pub fn delayed(self, delay: Duration) -> Reply {
        Reply::Delayed(delay, Box::new(self))
    }

    /// A short description for logs and assertion messages.
    pub fn summary(&self) -> String {
        match self {
            Reply::Text(t) => format!("text {:?}", truncate(t, 40)),
            Reply::Status { status, .. } => format!("status {status}"),
            Reply::RateLimited { retry_after } => format!("rate limited ({retry_after:?})"),
            Reply::UsageLimit(u) => format!("usage limit {:?} until {}", u.window, u.resets_at),
            Reply::PromptTooLong => "prompt too long".into(),
            Reply::Overloaded => "overloaded".into(),
            Reply::Delayed(d, inner) => format!("after {d:?}: {}", inner.summary()),
            Reply::Disconnect { .. } => "disconnect mid-stream".into(),
            Reply::StreamFailure { code, .. } => format!("in-stream failure {code}"),
            Reply::Turn(t) => format!(
                "turn {:?} tool {:?}",
                truncate(&t.text, 40),
                t.tool_use.as_ref().map(|(n, _)| n)
            ),
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Which usage window is exhausted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitWindow {
    /// The 5-hour window: Claude `five_hour` ("session limit"), Codex primary (300 min).
    Session,
    /// The 7-day window: Claude `seven_day` ("weekly limit"), Codex secondary (10080 min).
    Weekly,
    /// Claude `seven_day_opus` ("Opus limit"); Codex: treated as weekly.
    Opus,
}

impl LimitWindow {
    /// The value of Claude's `anthropic-ratelimit-unified-representative-claim` header.
    pub fn anthropic_claim(self) -> &'static str {
        match self {
            LimitWindow::Session => "five_hour",
            LimitWindow::Weekly => "seven_day",
            LimitWindow::Opus => "seven_day_opus",
        }
    }
}

/// A subscription usage limit that resets at `resets_at`.
///
/// - Anthropic: 429 `rate_limit_error` with `anthropic-ratelimit-unified-status: rejected`,
///   `anthropic-ratelimit-unified-representative-claim: <window>` and
///   `anthropic-ratelimit-unified-reset: <epoch s>`. Claude Code shows "You've hit your session
///   limit · resets 1:32am (UTC)" only when it runs with a subscription token
///   (`CLAUDE_CODE_OAUTH_TOKEN`); with an API key the same reply reads
///   "API Error: Request rejected (429) · …".
/// - Responses (Codex): 429 with body `error.type = "usage_limit_reached"`, `plan_type`,
///   `resets_at`, plus `x-codex-primary-*` / `x-codex-secondary-*` headers.
/// - Chat completions (opencode): 429 with an OpenAI-style `usage_limit_reached` body and
///   `retry-after` = seconds until the reset (opencode waits that long in its `retry` state).
#[derive(Clone, Debug)]
pub struct UsageLimit {
    pub resets_at: DateTime<Utc>,
    pub window: LimitWindow,
    /// Codex `plan_type` (`plus`, `pro`, `team`, …); changes Codex's wording. None omits it.
    pub plan_type: Option<String>,
}

impl UsageLimit {
    /// The session (5-hour) window, resetting after `d`.
    pub fn session_in(d: Duration) -> UsageLimit {
        UsageLimit::new(LimitWindow::Session, d)
    }

    /// The weekly window, resetting after `d`.
    pub fn weekly_in(d: Duration) -> UsageLimit {
        UsageLimit::new(LimitWindow::Weekly, d)
    }

    /// `window`, resetting after `d` (truncated to whole seconds, as the headers carry them).
    pub fn new(window: LimitWindow, d: Duration) -> UsageLimit {
        let at = Utc::now() + chrono::Duration::from_std(d).expect("duration in range");
        let resets_at = DateTime::from_timestamp(at.timestamp(), 0).expect("timestamp in range");
        UsageLimit {
            resets_at,
            window,
            plan_type: None,
        }
    }

    /// With this Codex plan type.
    pub fn plan(mut self, plan_type: &str) -> UsageLimit {
        self.plan_type = Some(plan_type.to_owned());
        self
    }

    /// Whole seconds from now until the reset (at least 1).
    pub fn seconds_left(&self) -> i64 {
        (self.resets_at - Utc::now()).num_seconds().max(1)
    }
}

/// A predicate choosing which requests a scripted reply applies to.
#[derive(Clone)]
pub struct Matcher(Arc<dyn Fn(&RecordedRequest) -> bool + Send + Sync>);

impl Matcher {
    /// Whether `req` matches.
    pub fn matches(&self, req: &RecordedRequest) -> bool {
        (self.0)(req)
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Matcher(..)")
    }
}

/// A reply in the script: used for the next model request(s) it matches, `remaining` times.
#[derive(Clone, Debug)]
pub struct Scripted {
    pub reply: Reply,
    pub matchers: Vec<Matcher>,
    /// How many more requests it answers; `None` = every matching request from now on.
    pub remaining: Option<usize>,
}

impl Scripted {
    /// Answers the next matching request once.
    pub fn once(reply: Reply) -> Scripted {
        Scripted {
            reply,
            matchers: Vec::new(),
            remaining: Some(1),
        }
    }

    /// Answers `n` matching requests.
    pub fn times(mut self, n: usize) -> Scripted {
        self.remaining = Some(n);
        self
    }

    /// Answers every matching request from now on.
    pub fn always(mut self) -> Scripted {
        self.remaining = None;
        self
    }

    /// Only for requests satisfying `pred` (all conditions must hold).
    pub fn when(
        mut self,
        pred: impl Fn(&RecordedRequest) -> bool + Send + Sync + 'static,
    ) -> Scripted {
        self.matchers.push(Matcher(Arc::new(pred)));
        self
    }

    /// Only for requests whose raw body contains `needle`.
    pub fn when_body_contains(self, needle: &str) -> Scripted {
        let needle = needle.to_owned();
        self.when(move |r| r.raw_body.contains(&needle))
    }

    /// Only for requests whose raw body does not contain `needle` (e.g. to skip side requests).
    pub fn unless_body_contains(self, needle: &str) -> Scripted {
        let needle = needle.to_owned();
        self.when(move |r| !r.raw_body.contains(&needle))
    }

    /// Only for requests in this protocol.
    pub fn when_protocol(self, protocol: Protocol) -> Scripted {
        self.when(move |r| r.protocol == Some(protocol))
    }

    /// Whether this entry applies to `req`.
    pub fn matches(&self, req: &RecordedRequest) -> bool {
        self.matchers.iter().all(|m| m.matches(req))
    }
}

impl From<Reply> for Scripted {
    fn from(reply: Reply) -> Scripted {
        Scripted::once(reply)
    }
}

/// Marker in the body of opencode's title-generation side request.
pub const OPENCODE_TITLE_MARKER: &str = "Generate a title for this conversation";

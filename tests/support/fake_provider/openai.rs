//! Error answers shared by the two OpenAI protocols (chat completions and Responses).

use serde_json::{Value, json};

use super::render::{Rendered, retry_headers};
use super::reply::{LimitWindow, Reply, UsageLimit};
use super::request::Protocol;

/// The OpenAI error envelope `{"error": {message, type, param, code}}` with an `x-request-id`.
pub fn error(
    status: u16,
    error_type: &str,
    code: Option<&str>,
    message: &str,
    seq: usize,
) -> Rendered {
    Rendered::json(
        status,
        json!({"error": {"message": message, "type": error_type, "param": null, "code": code}}),
    )
    .header("x-request-id", format!("req_fake_{seq:04}"))
}

/// Renders the HTTP error replies (rate limit, usage limit, prompt too long, overloaded) for
/// either OpenAI protocol; `None` for replies that are not HTTP errors.
pub fn render_error(reply: &Reply, protocol: Protocol, seq: usize) -> Option<Rendered> {
    Some(match reply {
        Reply::RateLimited { retry_after } => {
            let mut r = error(
                429,
                "requests",
                Some("rate_limit_exceeded"),
                "Rate limit reached for requests. Please try again later.",
                seq,
            );
            r.headers.extend(retry_headers(*retry_after));
            r
        }
        Reply::UsageLimit(limit) if protocol == Protocol::Responses => {
            codex_usage_limit(limit, seq)
        }
        Reply::UsageLimit(limit) => {
            let message = format!(
                "You've hit your usage limit. Try again at {}.",
                limit.resets_at.to_rfc3339()
            );
            error(
                429,
                "usage_limit_reached",
                Some("usage_limit_reached"),
                &message,
                seq,
            )
            .header("retry-after", limit.seconds_left().to_string())
        }
        Reply::PromptTooLong => error(
            400,
            "invalid_request_error",
            Some("context_length_exceeded"),
            "Your input exceeds the context window of this model. Please adjust your input and try again.",
            seq,
        ),
        Reply::Overloaded => error(
            503,
            "server_error",
            None,
            "The server is overloaded or not ready yet.",
            seq,
        ),
        _ => return None,
    })
}

/// Codex's usage-limit answer: 429, `error.type = "usage_limit_reached"` with `resets_at`
/// (epoch s) and optional `plan_type`, plus the `x-codex-*` rate-limit headers it records in the
/// rollout's `token_count.rate_limits`.
fn codex_usage_limit(limit: &UsageLimit, seq: usize) -> Rendered {
    let reset = limit.resets_at.timestamp();
    let mut err = json!({
        "type": "usage_limit_reached",
        "message": "The usage limit has been reached",
        "resets_at": reset,
    });
    if let Some(plan) = &limit.plan_type {
        err["plan_type"] = Value::String(plan.clone());
    }
    let now = chrono::Utc::now().timestamp();
    let (primary, secondary) = match limit.window {
        LimitWindow::Session => ((100, reset), (40, now + 3 * 86_400)),
        LimitWindow::Weekly | LimitWindow::Opus => ((20, now + 2 * 3_600), (100, reset)),
    };
    Rendered::json(429, json!({"error": err}))
        .header("x-request-id", format!("req_fake_{seq:04}"))
        .header("x-codex-primary-used-percent", primary.0.to_string())
        .header("x-codex-primary-window-minutes", "300")
        .header("x-codex-primary-reset-at", primary.1.to_string())
        .header("x-codex-secondary-used-percent", secondary.0.to_string())
        .header("x-codex-secondary-window-minutes", "10080")
        .header("x-codex-secondary-reset-at", secondary.1.to_string())
}

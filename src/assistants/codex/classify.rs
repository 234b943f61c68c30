//! Codex CLI: the `codex_error_info` kind of a failed turn, refined by its message.

use crate::classify::{ClassifyContext, Evidence, by_status, classify_text, text, usage_limit};
use crate::model::{HumanCause, StopReason};

/// `codex_error_info` in snake_case whichever way it was spelled (`usage_limit_exceeded`,
/// `usageLimitExceeded`, `UsageLimitExceeded`).
pub(crate) fn normalize_kind(kind: &str) -> String {
    let mut out = String::with_capacity(kind.len() + 4);
    for (i, c) in kind.trim().chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c == ' ' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// Why the turn described by `e` stopped: its structured fields read the way this assistant writes them, free
/// text through the shared patterns.
pub fn classify(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    crate::classify::classify(e, ctx, structured)
}

fn structured(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    let all = e.text_and_details();
    let kind = normalize_kind(e.error_code.as_deref().unwrap_or(""));
    match kind.as_str() {
        "usage_limit_exceeded" | "usage_limit_reached" => {
            text::usage_or_plan(&all, e.window_resets_at, ctx)
        }
        "response_too_many_failed_attempts" | "rate_limit_exceeded" | "too_many_requests" => {
            match e.http_status.or_else(|| text::status_in_text(&all)) {
                Some(s) if s >= 500 => StopReason::Transient { status: Some(s) },
                _ => StopReason::RateLimit {
                    retry_after_secs: e.retry_after_secs,
                },
            }
        }
        "context_window_exceeded" => StopReason::ContextExhausted,
        "internal_server_error"
        | "server_overloaded"
        | "http_connection_failed"
        | "response_stream_connection_failed"
        | "response_stream_disconnected" => StopReason::Transient {
            status: e.http_status,
        },
        // The request was refused on safety grounds: sending it again gets the same answer.
        "cyber_policy" => StopReason::NeedsHuman {
            cause: HumanCause::PolicyRefusal,
        },
        "unauthorized" => StopReason::NeedsHuman {
            cause: HumanCause::Authentication,
        },
        // A per-model cap that lifts after `reset_after_seconds` (carried as retry_after_secs).
        "model_cap" => {
            let known = e
                .retry_after_secs
                .and_then(|s| chrono::TimeDelta::try_seconds(i64::try_from(s).ok()?))
                .and_then(|d| ctx.now.checked_add_signed(d))
                .or(e.window_resets_at);
            usage_limit(&all, known, ctx)
        }
        // bad_request, sandbox_error, other, or no kind at all (a `turn.failed` message).
        _ => classify_text(&e.text, ctx)
            .or_else(|| lenient(e, &all, ctx))
            .or_else(|| by_status(e.http_status, &all, e.retry_after_secs))
            .unwrap_or(StopReason::Unknown),
    }
}

fn lenient(e: &Evidence, all: &str, ctx: &ClassifyContext) -> Option<StopReason> {
    if let Some(cause) = text::human_cap(all) {
        Some(StopReason::NeedsHuman { cause })
    } else if text::mentions_quota_or_plan(all) || text::mentions_usage_limit(all) {
        Some(text::usage_or_plan(all, e.window_resets_at, ctx))
    } else if text::mentions_context(all) {
        Some(StopReason::ContextExhausted)
    } else if text::mentions_capacity(all) || text::mentions_connection(all) {
        Some(StopReason::Transient {
            status: e.http_status,
        })
    } else {
        None
    }
}

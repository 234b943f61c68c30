//! opencode: the `name` of an assistant message's `error`, its HTTP status and response body.

use crate::classify::{ClassifyContext, Evidence, by_status, classify_text, text};
use crate::model::{HumanCause, StopReason};

/// Why the turn described by `e` stopped: its structured fields read the way this assistant writes them, free
/// text through the shared patterns.
pub fn classify(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    crate::classify::classify(e, ctx, structured)
}

fn structured(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    let all = e.text_and_details();
    let human = |cause| StopReason::NeedsHuman { cause };
    match e.error_code.as_deref().unwrap_or("") {
        "MessageAbortedError" => StopReason::UserExit,
        "ContextOverflowError" => StopReason::ContextExhausted,
        "ProviderAuthError" => human(HumanCause::Authentication),
        "ProviderModelNotFoundError" => human(HumanCause::ModelNotFound),
        // The provider's content filter refused the request: the same request is refused again.
        "ContentFilterError" => human(HumanCause::PolicyRefusal),
        // Output-length cap, structured-output failures: nothing that waiting fixes.
        "MessageOutputLengthError" | "StructuredOutputError" => StopReason::Unknown,
        "APIError" => api_error(e, &all, ctx),
        // UnknownError and names this version does not know: the text may still be telling.
        _ => classify_text(&e.text, ctx)
            .or_else(|| by_status(e.http_status, &all, e.retry_after_secs))
            .or_else(|| {
                text::mentions_connection(&all).then_some(StopReason::Transient { status: None })
            })
            .unwrap_or(StopReason::Unknown),
    }
}

/// A provider error opencode gave up retrying (it retries 429/5xx five times itself).
fn api_error(e: &Evidence, all: &str, ctx: &ClassifyContext) -> StopReason {
    if let Some(cause) = text::human_cap(all) {
        return StopReason::NeedsHuman { cause };
    }
    // A subscription provider's usage limit, or an API account out of quota (OpenAI answers
    // `insufficient_quota` with a 429 that no wait fixes).
    if text::mentions_quota_or_plan(all) || text::mentions_usage_limit(all) {
        return text::usage_or_plan(all, e.window_resets_at, ctx);
    }
    if let Some(reason) = by_status(e.http_status, all, e.retry_after_secs) {
        return reason;
    }
    if text::mentions_context(all) {
        StopReason::ContextExhausted
    } else if text::mentions_connection(all) || text::mentions_capacity(all) {
        StopReason::Transient {
            status: e.http_status,
        }
    } else if e.http_status.is_none() && text::mentions_auth(all) {
        StopReason::NeedsHuman {
            cause: HumanCause::Authentication,
        }
    } else {
        StopReason::Unknown
    }
}

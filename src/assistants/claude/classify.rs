//! Claude Code: the `error` value of an API-error transcript line or a StopFailure hook, refined by text.

use crate::classify::{ClassifyContext, Evidence, by_status, classify_text, text, usage_limit};
use crate::model::{HumanCause, StopReason};

/// Why the turn described by `e` stopped: its structured fields read the way this assistant writes them, free
/// text through the shared patterns.
pub fn classify(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    crate::classify::classify(e, ctx, structured)
}

fn structured(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    let all = e.text_and_details();
    let human = |cause| StopReason::NeedsHuman { cause };
    // A spend or monthly cap, credits gone, a policy refusal: whatever code it came with, only a person helps.
    if let Some(cause) = text::human_cap(&all) {
        return human(cause);
    }
    match e.error_code.as_deref().unwrap_or("") {
        // A subscription's usage limit and a plain 429 share this code; "Server is temporarily
        // limiting requests (not your usage limit)" is never taken for a usage limit.
        "rate_limit" if text::mentions_usage_limit(&all) => {
            usage_limit(&all, e.window_resets_at, ctx)
        }
        "rate_limit" => StopReason::RateLimit {
            retry_after_secs: e.retry_after_secs,
        },
        "overloaded" => StopReason::Transient {
            status: e.http_status.or(Some(529)),
        },
        "server_error" => StopReason::Transient {
            status: e.http_status.or_else(|| text::status_in_text(&e.text)),
        },
        "authentication_failed" => human(HumanCause::Authentication),
        "oauth_org_not_allowed" => human(HumanCause::OrgNotAllowed),
        "billing_error" => human(HumanCause::Billing),
        "model_not_found" => human(HumanCause::ModelNotFound),
        "invalid_request" if text::mentions_context(&all) => StopReason::ContextExhausted,
        "invalid_request" if text::mentions_credit(&all) => human(HumanCause::Billing),
        // The reply hit the output-token cap: nothing to wait for, and "continue" may hit it again.
        "max_output_tokens" | "invalid_request" => StopReason::Unknown,
        // "unknown", a code this version does not know yet, or none (older transcripts).
        _ => classify_text(&e.text, ctx)
            .or_else(|| lenient(e, &all, ctx))
            .or_else(|| by_status(e.http_status, &all, e.retry_after_secs))
            .unwrap_or(StopReason::Unknown),
    }
}

/// Structured evidence with no telling code: look for the known phrases anywhere.
fn lenient(e: &Evidence, all: &str, ctx: &ClassifyContext) -> Option<StopReason> {
    if text::mentions_server_limiting(all) {
        Some(StopReason::RateLimit {
            retry_after_secs: e.retry_after_secs,
        })
    } else if text::mentions_usage_limit(all) {
        Some(usage_limit(all, e.window_resets_at, ctx))
    } else if text::mentions_context(all) {
        Some(StopReason::ContextExhausted)
    } else if text::mentions_connection(all) {
        Some(StopReason::Transient {
            status: e.http_status,
        })
    } else {
        None
    }
}

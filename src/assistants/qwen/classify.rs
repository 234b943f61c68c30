//! Qwen Code: the HTTP status and message of a failed request, and which failures it gives up on at once.
//!
//! Qwen fails fast on a quota message (quota + exhausted/exceeded + "will reset"/"reset at": `Quota exhausted:
//! You have exhausted your capacity on this model. Your quota will reset after 8h44m7s.`), on an exhausted
//! context and on authentication; a plain 429 or 5xx it retries itself, for up to about an hour.

use std::sync::LazyLock;

use regex::Regex;

use crate::classify::{ClassifyContext, Evidence, structured_fallback, usage_limit};
use crate::model::StopReason;

static QUOTA_RESETS: LazyLock<Regex> = LazyLock::new(|| {
    crate::classify::built_in(
        r"(?is)quota.*(?:exhausted|exceeded).*(?:will reset|reset at)|(?:exhausted|exceeded).*quota.*(?:will reset|reset at)",
    )
});

/// Structured evidence from an `api_error` event.
pub fn evidence(status: Option<u64>, error_type: Option<&str>, message: &str) -> Evidence {
    let mut e = Evidence::structured(super::ASSISTANT, error_type, message);
    e.http_status = status.and_then(|s| u16::try_from(s).ok());
    e
}

/// Why the request described by `e` failed.
pub fn classify(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    crate::classify::classify(e, ctx, structured)
}

fn structured(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    let all = e.text_and_details();
    if QUOTA_RESETS.is_match(&all) {
        return usage_limit(&all, None, ctx);
    }
    structured_fallback(e, ctx)
}

/// Whether Qwen ends the turn on a failure or retries it by itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fails {
    Now,
    Later,
}

impl Fails {
    /// A plain rate limit or server error (no quota that resets) is retried by Qwen's own loop.
    pub fn after(message: &str, reason: &StopReason) -> Fails {
        let retried = matches!(
            reason,
            StopReason::RateLimit { .. } | StopReason::Transient { .. }
        );
        if retried && !QUOTA_RESETS.is_match(message) {
            Fails::Later
        } else {
            Fails::Now
        }
    }
}

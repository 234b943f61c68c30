//! Gemini CLI: how its failures read, and which of them it retries by itself.
//!
//! It shows the Google API's message (`[API Error: You have exhausted your daily quota on this model.]`), or its
//! own for a quota (`Usage limit reached for all Pro models.` / `Access resets at 3:40 PM PST.`). Capacity
//! messages (`No capacity available for model … on the server`, `We are currently experiencing high demand for
//! <model>.`) are the server's, not the user's quota: transient. While it retries by itself it prints `Attempt 1
//! failed: … Retrying after 6173ms...`.

use std::sync::LazyLock;

use regex::Regex;

use crate::classify::{ClassifyContext, Evidence, structured_fallback, usage_limit};
use crate::model::StopReason;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid regex")
}

/// A quota of the user's that resets by itself.
static QUOTA: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)exhausted your (?:capacity|daily quota|quota)|usage limit reached for|quota will reset|access resets at",
    )
});

/// The server has no room right now; nothing the user spent.
static CAPACITY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)no capacity available for model|currently experiencing high demand|model is overloaded",
    )
});

/// Its own retry in progress.
static RETRYING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)attempt \d+ failed\b.*retrying (?:after \d+\s*ms|with backoff)"));

/// Evidence from a message it showed or printed.
pub fn evidence(status: Option<u16>, message: &str) -> Evidence {
    let mut e = Evidence::structured(super::ASSISTANT, None, message);
    e.http_status = status;
    e
}

/// Why the request described by `e` failed.
pub fn classify(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    crate::classify::classify(e, ctx, structured)
}

fn structured(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    let all = e.text_and_details();
    if CAPACITY.is_match(&all) {
        return StopReason::Transient {
            status: e.http_status,
        };
    }
    if QUOTA.is_match(&all) {
        return usage_limit(&all, None, ctx);
    }
    structured_fallback(e, ctx)
}

/// Whether Gemini CLI has given up on a failure or still retries it by itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fails {
    Now,
    Later,
}

impl Fails {
    /// Only its "Attempt N failed … Retrying after …ms" notice means it goes on by itself; what it shows as
    /// an error has ended the turn.
    pub fn after(message: &str) -> Fails {
        if RETRYING.is_match(message) {
            Fails::Later
        } else {
            Fails::Now
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ClassifyContext {
        ClassifyContext::new("2026-11-30T21:00:00Z".parse().unwrap(), crate::tz::Tz::UTC)
    }

    fn of(text: &str) -> StopReason {
        classify(&evidence(None, text), &ctx())
    }

    fn reset_of(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        match of(text) {
            StopReason::UsageLimit { resets_at, .. } => resets_at,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn quotas_are_usage_limits_with_their_reset_when_stated() {
        let now = ctx().now;
        assert_eq!(
            reset_of(
                "You have exhausted your capacity on this model. Your quota will reset after 8h44m7s."
            ),
            Some(now + chrono::TimeDelta::seconds(8 * 3600 + 44 * 60 + 7))
        );
        let pst =
            reset_of("Usage limit reached for all Pro models.\nAccess resets at 3:40 PM PST.");
        assert_eq!(pst, Some("2026-11-30T23:40:00Z".parse().unwrap()));
        assert!(matches!(
            of(
                "[API Error: You have exhausted your daily quota on this model.]\nPlease wait and try again later."
            ),
            StopReason::UsageLimit {
                resets_at: None,
                ..
            }
        ));
    }

    #[test]
    fn server_capacity_is_transient_not_a_quota() {
        for text in [
            "No capacity available for model gemini-2.5-pro on the server",
            "We are currently experiencing high demand for gemini-2.5-pro.",
        ] {
            assert!(matches!(of(text), StopReason::Transient { .. }), "{text}");
        }
    }

    #[test]
    fn its_own_retries_are_left_to_it() {
        assert_eq!(
            Fails::after(
                "Attempt 1 failed: You have exhausted your capacity on this model. Retrying after 6173ms..."
            ),
            Fails::Later
        );
        assert_eq!(
            Fails::after("You have exhausted your daily quota on this model."),
            Fails::Now
        );
    }
}

//! Codex's context use: its `token_count` events carry `info.last_token_usage` (the latest model response:
//! `input_tokens`, which include the cached ones, `output_tokens`, `total_tokens`) and the window it runs in,
//! `info.model_context_window`. `total_token_usage` sums the whole session and says nothing about how full
//! the window is. A `token_count` without `info` (rate limits only) carries no usage.
//!
//! Its quota use: the same events carry `rate_limits.primary` / `.secondary` (what the provider's
//! `x-codex-primary-*` / `x-codex-secondary-*` headers said) with `used_percent`, `window_minutes` and
//! `resets_at` (epoch s; older versions `resets_in_seconds`); both are null when the provider sent none.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::formats::instant;
use crate::model::{ContextUse, QuotaUse, UsageWindow};

/// The context use a `token_count` event's payload reports.
pub fn from_token_count(payload: &Value) -> Option<ContextUse> {
    let info = payload.get("info").filter(|i| !i.is_null())?;
    let last = info.get("last_token_usage")?;
    let count = |k: &str| last.get(k).and_then(Value::as_u64);
    let used = count("total_tokens").or_else(|| {
        Some(count("input_tokens")?.saturating_add(count("output_tokens").unwrap_or(0)))
    })?;
    ContextUse::reported(
        used,
        info.get("model_context_window").and_then(Value::as_u64),
    )
}

/// The most used window of a `rate_limits` value (`at`: the line's time, for `resets_in_seconds`). A window
/// without `window_minutes` is the session one when it is `primary`, the weekly one when `secondary`, as
/// Codex names them.
pub fn from_rate_limits(limits: &Value, at: Option<DateTime<Utc>>) -> Option<QuotaUse> {
    [
        ("primary", UsageWindow::Session),
        ("secondary", UsageWindow::Weekly),
    ]
    .into_iter()
    .filter_map(|(key, usual)| {
        let w = limits.get(key).filter(|w| w.is_object())?;
        let window = w
            .get("window_minutes")
            .and_then(Value::as_u64)
            .map_or(usual, UsageWindow::of_minutes);
        QuotaUse::reported(
            w.get("used_percent").and_then(Value::as_f64)?,
            window,
            window_resets(w, at),
        )
    })
    .max_by_key(|q| q.percent)
}

/// When one window of `rate_limits` resets: `resets_at`, else `resets_in_seconds` after `at`.
pub fn window_resets(window: &Value, at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    instant(window.get("resets_at")).ok().flatten().or_else(|| {
        let secs = window.get("resets_in_seconds").and_then(Value::as_i64)?;
        at?.checked_add_signed(TimeDelta::try_seconds(secs)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[rstest]
    #[case::primary_most_used(
        json!({"primary": {"used_percent": 92.0, "window_minutes": 300, "resets_at": 1_795_485_114},
               "secondary": {"used_percent": 40.0, "window_minutes": 10080, "resets_at": 1_795_740_714}}),
        Some((92, UsageWindow::Session, Some("2026-11-24T01:51:54Z")))
    )]
    #[case::secondary_most_used(
        json!({"primary": {"used_percent": 10.5, "window_minutes": 300},
               "secondary": {"used_percent": 90.9, "window_minutes": 10080}}),
        Some((90, UsageWindow::Weekly, None))
    )]
    #[case::resets_in_seconds(
        json!({"primary": {"used_percent": 95, "window_minutes": 300, "resets_in_seconds": 3600}}),
        Some((95, UsageWindow::Session, Some("2026-12-01T13:00:00Z")))
    )]
    #[case::no_window_length_primary_is_the_session(
        json!({"primary": {"used_percent": 91.0}, "secondary": null}),
        Some((91, UsageWindow::Session, None))
    )]
    #[case::no_window_length_secondary_is_weekly(
        json!({"primary": null, "secondary": {"used_percent": 97.0}}),
        Some((97, UsageWindow::Weekly, None))
    )]
    #[case::a_monthly_window_is_unknown(
        json!({"primary": {"used_percent": 99.0, "window_minutes": 43200}}),
        Some((99, UsageWindow::Unknown, None))
    )]
    #[case::both_null(json!({"limit_id": "codex", "primary": null, "secondary": null}), None)]
    #[case::no_percent(json!({"primary": {"window_minutes": 300}}), None)]
    fn rate_limits_report_the_most_used_window(
        #[case] limits: Value,
        #[case] want: Option<(u8, UsageWindow, Option<&str>)>,
    ) {
        let got = from_rate_limits(&limits, Some(at("2026-12-01T12:00:00Z")));
        let want = want.map(|(percent, window, resets)| QuotaUse {
            percent,
            window,
            resets_at: resets.map(at),
        });
        assert_eq!(got, want);
    }
}

//! Codex's context use: its `token_count` events carry `info.last_token_usage` (the latest model response:
//! `input_tokens`, which include the cached ones, `output_tokens`, `total_tokens`) and the window it runs in,
//! `info.model_context_window`. `total_token_usage` sums the whole session and says nothing about how full
//! the window is. A `token_count` without `info` (rate limits only) carries no usage.

use serde_json::Value;

use crate::model::ContextUse;

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

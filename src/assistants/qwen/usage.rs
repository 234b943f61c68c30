//! Qwen Code's context use: each `assistant` chat line carries the model's `usageMetadata`
//! (`promptTokenCount`, `candidatesTokenCount`, `totalTokenCount`) and the window it runs in,
//! `contextWindowSize` (observed on 0.24.4).

use serde_json::Value;

use crate::model::ContextUse;

/// The context use an `assistant` line reports.
pub fn from_assistant_line(v: &Value) -> Option<ContextUse> {
    let usage = v.get("usageMetadata")?;
    let count = |k: &str| usage.get(k).and_then(Value::as_u64);
    let used = count("totalTokenCount").or_else(|| {
        Some(count("promptTokenCount")?.saturating_add(count("candidatesTokenCount").unwrap_or(0)))
    })?;
    ContextUse::reported(used, v.get("contextWindowSize").and_then(Value::as_u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_usage_and_the_stated_window_from_a_real_chat() {
        let real = include_str!("../../../tests/fixtures/real/qwen/success.chat.jsonl");
        let uses: Vec<ContextUse> = real
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["type"] == "assistant")
            .filter_map(|v| from_assistant_line(&v))
            .collect();
        assert_eq!(
            uses.first(),
            Some(&ContextUse {
                used_tokens: 15_028,
                window_tokens: Some(262_144)
            })
        );
    }
}

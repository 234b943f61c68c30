//! Gemini CLI's context use: a `gemini` chat line carries `tokens` (`input`, `output`, `cached`, `thoughts`,
//! `tool`, `total`) once its answer is complete; `input` is the prompt as sent. The line does not state the
//! window: Gemini models take 1,048,576 tokens.

use serde_json::Value;

use crate::model::ContextUse;

/// The window of the Gemini models Gemini CLI runs.
const GEMINI_WINDOW: u64 = 1_048_576;

/// The context use a `gemini` line reports.
pub fn from_gemini_line(v: &Value) -> Option<ContextUse> {
    let tokens = v.get("tokens")?;
    let count = |k: &str| tokens.get(k).and_then(Value::as_u64).unwrap_or(0);
    let used = count("input").saturating_add(count("output"));
    let model = v.get("model").and_then(Value::as_str).unwrap_or_default();
    ContextUse::reported(used, model.starts_with("gemini-").then_some(GEMINI_WINDOW))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_usage_from_a_real_chat() {
        let real = include_str!("../../../tests/fixtures/real/gemini/success.chat.jsonl");
        let uses: Vec<ContextUse> = real
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["type"] == "gemini")
            .filter_map(|v| from_gemini_line(&v))
            .collect();
        assert_eq!(
            uses.last(),
            Some(&ContextUse {
                used_tokens: 7_792,
                window_tokens: Some(GEMINI_WINDOW)
            })
        );
    }
}

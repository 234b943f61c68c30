//! Gemini CLI's context use: a `gemini` chat line carries `tokens` (`input`, `output`, `cached`, `thoughts`,
//! `tool`, `total`) once its answer is complete; `input` is the prompt as sent. The line does not state the
//! window; Gemini CLI 0.61.0 gives each model its window by name (`tokenLimit`): the Gemma 4 models it runs
//! 256,000 tokens, every other model (the Gemini models, and any it does not know) 1,048,576.

use serde_json::Value;

use crate::model::ContextUse;

/// The window of the Gemini models, and Gemini CLI's default.
const GEMINI_WINDOW: u64 = 1_048_576;
/// The window of the Gemma 4 models (`gemma-4-31b-it`, `gemma-4-26b-a4b-it`).
const GEMMA_4_WINDOW: u64 = 256_000;

/// The window Gemini CLI runs `model` with.
fn window_of(model: &str) -> u64 {
    if model.starts_with("gemma-4-") {
        GEMMA_4_WINDOW
    } else {
        GEMINI_WINDOW
    }
}

/// The context use a `gemini` line reports.
pub fn from_gemini_line(v: &Value) -> Option<ContextUse> {
    let tokens = v.get("tokens")?;
    let count = |k: &str| tokens.get(k).and_then(Value::as_u64).unwrap_or(0);
    let used = count("input").saturating_add(count("output"));
    let model = v.get("model").and_then(Value::as_str).unwrap_or_default();
    ContextUse::reported(used, Some(window_of(model)))
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

    #[test]
    fn each_model_gets_the_window_gemini_cli_gives_it() {
        assert_eq!(window_of("gemini-2.5-pro"), GEMINI_WINDOW);
        assert_eq!(window_of("gemini-3-flash-preview"), GEMINI_WINDOW);
        assert_eq!(window_of("gemma-4-31b-it"), GEMMA_4_WINDOW);
        assert_eq!(window_of("gemma-4-26b-a4b-it"), GEMMA_4_WINDOW);
        assert_eq!(window_of("a-custom-model"), GEMINI_WINDOW);
        let line = serde_json::json!({"type": "gemini", "model": "gemma-4-31b-it",
            "tokens": {"input": 128_000, "output": 0}});
        assert_eq!(
            from_gemini_line(&line).and_then(|u| u.window_tokens),
            Some(256_000)
        );
    }
}

//! Claude Code's context use: every model response's `message.usage` on its `assistant` transcript line
//! (`input_tokens`, `cache_creation_input_tokens`, `cache_read_input_tokens`, `output_tokens`). What the next
//! request sends is roughly all of them: the prompt as read (fresh, written to and read from the cache) and
//! the answer it added. The transcript does not state the window; it follows from the model
//! ([`super::window`]).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde_json::Value;

use crate::model::ContextUse;

/// How much of a transcript's end is read to find its latest usage (a hook's look).
const TAIL_BYTES: u64 = 512 * 1024;

/// The context use a transcript line's `message` reports, if it is a real model response with usage.
pub fn from_message(message: &Value) -> Option<ContextUse> {
    let model = message.get("model").and_then(Value::as_str)?;
    if model == "<synthetic>" {
        return None;
    }
    let usage = message.get("usage")?;
    let count = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
    let used = [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
    ]
    .iter()
    .map(|k| count(k))
    .fold(0u64, u64::saturating_add);
    ContextUse::reported(used, Some(super::window::window_of(model, used)))
}

/// The latest context use in transcript text (whole lines; a torn first line is skipped), ignoring subagents.
pub fn latest_in(text: &str) -> Option<ContextUse> {
    text.lines().rev().find_map(|line| {
        if !line.contains("\"usage\"") {
            return None;
        }
        let v: Value = serde_json::from_str(line).ok()?;
        if v.get("type").and_then(Value::as_str) != Some("assistant")
            || v.get("isSidechain").and_then(Value::as_bool) == Some(true)
        {
            return None;
        }
        from_message(v.get("message")?)
    })
}

/// The latest context use recorded in the transcript at `path` (its last 512 KiB). Blocking.
pub fn latest_in_file(path: &Path) -> Option<ContextUse> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let start = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut bytes).ok()?;
    latest_in(&String::from_utf8_lossy(&bytes))
}

/// A hook payload's session: the latest context use in the transcript it names. Blocking.
pub fn from_hook_payload(payload: &Value) -> Option<ContextUse> {
    let path = payload.get("transcript_path").and_then(Value::as_str)?;
    latest_in_file(Path::new(path))
}

/// What a `Stop` hook prints so that Claude Code goes on with `instruction` instead of ending its turn
/// (`decision: block` with the `reason` it hands the model; works in `-p` and interactive sessions).
pub fn stop_hook_continue(instruction: &str) -> String {
    serde_json::json!({ "decision": "block", "reason": instruction }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = include_str!("../../../tests/fixtures/real/claude/success.jsonl");

    #[test]
    fn reads_the_usage_of_a_real_transcript() {
        // success.jsonl: one answer with input 18988 and output 2 tokens on claude-opus-4-8 (a 1M window).
        assert_eq!(
            latest_in(REAL),
            Some(ContextUse {
                used_tokens: 18_990,
                window_tokens: Some(1_000_000)
            })
        );
    }

    #[test]
    fn adds_every_input_side_count_and_knows_long_windows() {
        let m = serde_json::json!({"model": "claude-sonnet-4-5[1m]", "usage": {
            "input_tokens": 10, "cache_creation_input_tokens": 200, "cache_read_input_tokens": 150_000,
            "output_tokens": 40}});
        assert_eq!(
            from_message(&m),
            Some(ContextUse {
                used_tokens: 150_250,
                window_tokens: Some(1_000_000)
            })
        );
    }

    #[test]
    fn error_lines_subagents_and_empty_usage_say_nothing() {
        let synthetic = serde_json::json!({"model": "<synthetic>", "usage": {"input_tokens": 5}});
        assert_eq!(from_message(&synthetic), None);
        let zero = serde_json::json!({"model": "claude-x", "usage": {"input_tokens": 0, "output_tokens": 0}});
        assert_eq!(from_message(&zero), None);
        let sidechain = r#"{"type":"assistant","isSidechain":true,"message":{"model":"claude-x","usage":{"input_tokens":9}}}"#;
        let main = r#"{"type":"assistant","isSidechain":false,"message":{"model":"claude-x","usage":{"input_tokens":7}}}"#;
        assert_eq!(
            latest_in(&format!("{main}\n{sidechain}\n{{torn")).map(|u| u.used_tokens),
            Some(7)
        );
    }

    #[test]
    fn the_stop_hook_answer_blocks_with_the_instruction() {
        let v: Value = serde_json::from_str(&stop_hook_continue("write \"Next-step.md\"")).unwrap();
        assert_eq!(v["decision"], "block");
        assert_eq!(v["reason"], "write \"Next-step.md\"");
    }
}

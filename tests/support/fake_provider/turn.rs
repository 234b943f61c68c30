//! [`Turn`]: a successful answer that reports a chosen context use (Anthropic Messages, chat completions) and
//! may call a tool (Anthropic Messages); other protocols answer its text.

use serde_json::{Value, json};

use super::render::{Rendered, named_frame, pieces, tokens};
use super::request::RecordedRequest;

/// A model turn beyond plain text: the input tokens its `usage` reports (to make a client's context look
/// full) and a tool call (`name`, `input`) after the text.
#[derive(Clone, Debug, Default)]
pub struct Turn {
    pub text: String,
    pub input_tokens: Option<u64>,
    pub tool_use: Option<(String, Value)>,
    /// Response headers sent with it, whatever the protocol (e.g. a provider's rate-limit headers).
    pub headers: Vec<(String, String)>,
}

impl Turn {
    /// A turn answering `text`.
    pub fn text(text: &str) -> Turn {
        Turn {
            text: text.to_owned(),
            ..Turn::default()
        }
    }

    /// Reporting `n` input tokens.
    pub fn input_tokens(mut self, n: u64) -> Turn {
        self.input_tokens = Some(n);
        self
    }

    /// Codex's rate-limit headers reporting the session (5-hour, primary) window `percent` used and resetting
    /// at `resets_at` (epoch s), the weekly (secondary) one 10% used: Codex records them in its rollout's
    /// next `token_count` event as `rate_limits`.
    pub fn codex_quota(mut self, percent: u8, resets_at: i64) -> Turn {
        let week = resets_at + 6 * 86_400;
        for (name, value) in [
            ("x-codex-primary-used-percent", percent.to_string()),
            ("x-codex-primary-window-minutes", "300".to_owned()),
            ("x-codex-primary-reset-at", resets_at.to_string()),
            ("x-codex-secondary-used-percent", "10".to_owned()),
            ("x-codex-secondary-window-minutes", "10080".to_owned()),
            ("x-codex-secondary-reset-at", week.to_string()),
        ] {
            self.headers.push((name.to_owned(), value));
        }
        self
    }

    /// Calling tool `name` with `input` after the text.
    pub fn tool(mut self, name: &str, input: Value) -> Turn {
        self.tool_use = Some((name.to_owned(), input));
        self
    }
}

/// The turn as an Anthropic Messages SSE stream (or one message when no stream was asked for).
pub fn anthropic(turn: &Turn, req: &RecordedRequest, seq: usize) -> Rendered {
    let usage = json!({
        "input_tokens": turn.input_tokens.unwrap_or_else(|| tokens(&req.raw_body)),
        "output_tokens": tokens(&turn.text).max(1),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    });
    let stop_reason = if turn.tool_use.is_some() {
        "tool_use"
    } else {
        "end_turn"
    };
    let tool_id = format!("toolu_fake_{seq:04}");
    let mut content = Vec::new();
    if !turn.text.is_empty() {
        content.push(json!({"type": "text", "text": turn.text}));
    }
    if let Some((name, input)) = &turn.tool_use {
        content.push(json!({"type": "tool_use", "id": tool_id, "name": name, "input": input}));
    }
    let model = req.model().unwrap_or("claude-fake");
    if !req.wants_stream() {
        return Rendered::json(
            200,
            json!({"id": format!("msg_fake_{seq:04}"), "type": "message", "role": "assistant",
                   "model": model, "content": content, "stop_reason": stop_reason,
                   "stop_sequence": null, "usage": usage}),
        );
    }
    let mut frames = vec![named_frame(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": format!("msg_fake_{seq:04}"), "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage}}),
    )];
    for (index, block) in content.iter().enumerate() {
        let (start, deltas) = match block["type"].as_str() {
            Some("text") => (
                json!({"type": "text", "text": ""}),
                pieces(&turn.text)
                    .into_iter()
                    .map(|p| json!({"type": "text_delta", "text": p}))
                    .collect::<Vec<_>>(),
            ),
            _ => (
                json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
                vec![
                    json!({"type": "input_json_delta", "partial_json": block["input"].to_string()}),
                ],
            ),
        };
        frames.push(named_frame(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        for delta in deltas {
            frames.push(named_frame(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ));
        }
        frames.push(named_frame(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        ));
    }
    frames.push(named_frame(
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                "usage": {"output_tokens": tokens(&turn.text).max(1)}}),
    ));
    frames.push(named_frame(
        "message_stop",
        &json!({"type": "message_stop"}),
    ));
    Rendered::sse(frames, false)
}

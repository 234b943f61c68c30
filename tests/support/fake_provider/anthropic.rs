//! Anthropic Messages API answers (`POST /v1/messages`), as Claude Code expects them.

use serde_json::{Value, json};

use super::render::{Rendered, named_frame, pieces, retry_headers, tokens};
use super::reply::{Reply, UsageLimit};
use super::request::RecordedRequest;

/// Renders `reply` for an Anthropic Messages request. `Status` and `Delayed` are handled by the
/// caller.
pub fn render(reply: &Reply, req: &RecordedRequest, seq: usize) -> Rendered {
    match reply {
        Reply::Text(text) if req.wants_stream() => {
            Rendered::sse(stream_frames(req, text, seq, false), false)
        }
        Reply::Text(text) => Rendered::json(200, message(req, text, seq)),
        Reply::Disconnect { partial } => {
            Rendered::sse(stream_frames(req, partial, seq, true), true)
        }
        Reply::RateLimited { retry_after } => {
            let mut r = error(
                429,
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit \
                 (https://docs.anthropic.com/en/api/rate-limits); see the response headers for \
                 current usage. Please reduce the prompt length or the maximum tokens requested, \
                 or try again later.",
                seq,
            );
            r.headers.extend(retry_headers(*retry_after));
            r
        }
        Reply::UsageLimit(limit) => usage_limit(limit, seq),
        Reply::PromptTooLong => error(
            400,
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum",
            seq,
        ),
        Reply::Overloaded => error(529, "overloaded_error", "Overloaded", seq),
        Reply::StreamFailure { code, message } if !req.wants_stream() => {
            error(super::render::failure_status(code), code, message, seq)
        }
        Reply::StreamFailure { code, message } => {
            let mut frames = stream_frames(req, "", seq, true);
            frames.truncate(1);
            frames.push(named_frame(
                "error",
                &json!({"type": "error", "error": {"type": code, "message": message}}),
            ));
            Rendered::sse(frames, false)
        }
        Reply::Status { .. } | Reply::Delayed(..) | Reply::Turn(_) => {
            unreachable!("Status, Delayed and Turn are rendered by the server")
        }
    }
}

/// The Anthropic error envelope, with the `request-id` header the API sends.
pub fn error(status: u16, error_type: &str, message: &str, seq: usize) -> Rendered {
    let request_id = format!("req_fake_{seq:04}");
    Rendered::json(
        status,
        json!({
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": request_id,
        }),
    )
    .header("request-id", request_id)
}

/// A subscription usage limit: the unified rate-limit headers Claude Code reads.
fn usage_limit(limit: &UsageLimit, seq: usize) -> Rendered {
    error(
        429,
        "rate_limit_error",
        "This request would exceed your account's rate limit. Please try again later.",
        seq,
    )
    .header("anthropic-ratelimit-unified-status", "rejected")
    .header(
        "anthropic-ratelimit-unified-representative-claim",
        limit.window.anthropic_claim(),
    )
    .header(
        "anthropic-ratelimit-unified-reset",
        limit.resets_at.timestamp().to_string(),
    )
}

fn model(req: &RecordedRequest) -> &str {
    req.model().unwrap_or("claude-fake")
}

fn usage(req: &RecordedRequest, output: u64) -> Value {
    json!({
        "input_tokens": tokens(&req.raw_body),
        "output_tokens": output,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    })
}

/// A complete (non-streamed) message.
fn message(req: &RecordedRequest, text: &str, seq: usize) -> Value {
    json!({
        "id": format!("msg_fake_{seq:04}"),
        "type": "message",
        "role": "assistant",
        "model": model(req),
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": usage(req, tokens(text)),
    })
}

/// message_start, content_block_start, content_block_delta…, then (unless `cut`)
/// content_block_stop, message_delta and message_stop.
fn stream_frames(req: &RecordedRequest, text: &str, seq: usize, cut: bool) -> Vec<String> {
    let mut frames = vec![
        named_frame(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": format!("msg_fake_{seq:04}"),
                "type": "message",
                "role": "assistant",
                "model": model(req),
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": usage(req, 1),
            }}),
        ),
        named_frame(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}}),
        ),
    ];
    for piece in pieces(text) {
        frames.push(named_frame(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": piece}}),
        ));
    }
    if cut {
        return frames;
    }
    frames.push(named_frame(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
    ));
    frames.push(named_frame(
        "message_delta",
        &json!({"type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": {"output_tokens": tokens(text)}}),
    ));
    frames.push(named_frame(
        "message_stop",
        &json!({"type": "message_stop"}),
    ));
    frames
}

/// `POST /v1/messages/count_tokens`.
pub fn count_tokens(req: &RecordedRequest) -> Rendered {
    Rendered::json(200, json!({"input_tokens": tokens(&req.raw_body)}))
}

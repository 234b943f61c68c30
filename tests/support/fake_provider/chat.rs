//! OpenAI chat completions answers (`POST /v1/chat/completions`), as opencode's
//! `@ai-sdk/openai-compatible` provider expects them.

use serde_json::{Value, json};

use super::render::{Rendered, data_frame, now_secs, pieces, tokens};
use super::reply::Reply;
use super::request::{Protocol, RecordedRequest};

/// Renders `reply` for a chat completions request. `Status` and `Delayed` are handled by the
/// caller.
pub fn render(reply: &Reply, req: &RecordedRequest, seq: usize) -> Rendered {
    if let Some(err) = super::openai::render_error(reply, Protocol::ChatCompletions, seq) {
        return err;
    }
    match reply {
        Reply::Text(text) if req.wants_stream() => {
            Rendered::sse(stream_frames(req, text, seq, false), false)
        }
        Reply::Text(text) => Rendered::json(200, completion(req, text, seq)),
        Reply::Disconnect { partial } => {
            Rendered::sse(stream_frames(req, partial, seq, true), true)
        }
        Reply::StreamFailure { code, message } if !req.wants_stream() => super::openai::error(
            super::render::failure_status(code),
            code,
            Some(code),
            message,
            seq,
        ),
        Reply::StreamFailure { code, message } => {
            let mut frames = stream_frames(req, "", seq, true);
            frames.truncate(1);
            let err = json!({"error": {"message": message, "type": code, "code": code}});
            frames.push(data_frame(&err.to_string()));
            Rendered::sse(frames, false)
        }
        _ => unreachable!("error, Status and Delayed replies are rendered elsewhere"),
    }
}

fn model(req: &RecordedRequest) -> &str {
    req.model().unwrap_or("fake-model")
}

fn usage(req: &RecordedRequest, text: &str) -> Value {
    let prompt = tokens(&req.raw_body);
    let completion = tokens(text);
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

fn completion(req: &RecordedRequest, text: &str, seq: usize) -> Value {
    json!({
        "id": format!("chatcmpl-fake-{seq:04}"),
        "object": "chat.completion",
        "created": now_secs(),
        "model": model(req),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": usage(req, text),
    })
}

fn chunk(req: &RecordedRequest, seq: usize, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": format!("chatcmpl-fake-{seq:04}"),
        "object": "chat.completion.chunk",
        "created": now_secs(),
        "model": model(req),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    })
}

/// A role chunk, content chunks, then (unless `cut`) a finish chunk with usage and `[DONE]`.
fn stream_frames(req: &RecordedRequest, text: &str, seq: usize, cut: bool) -> Vec<String> {
    let mut frames = vec![data_frame(
        &chunk(req, seq, json!({"role": "assistant", "content": ""}), None).to_string(),
    )];
    for piece in pieces(text) {
        frames.push(data_frame(
            &chunk(req, seq, json!({"content": piece}), None).to_string(),
        ));
    }
    if cut {
        return frames;
    }
    let mut last = chunk(req, seq, json!({}), Some("stop"));
    last["usage"] = usage(req, text);
    frames.push(data_frame(&last.to_string()));
    frames.push(data_frame("[DONE]"));
    frames
}

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
        Reply::Text(text) => turn(&super::Turn::text(text), req, seq),
        Reply::Disconnect { partial } => {
            Rendered::sse(stream_frames(req, partial, None, seq, true), true)
        }
        Reply::StreamFailure { code, message } if !req.wants_stream() => super::openai::error(
            super::render::failure_status(code),
            code,
            Some(code),
            message,
            seq,
        ),
        Reply::StreamFailure { code, message } => {
            let mut frames = stream_frames(req, "", None, seq, true);
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

/// A successful answer with the turn's text; its prompt tokens as the turn says, else counted. Tool calls
/// are not rendered here.
pub fn turn(turn: &super::Turn, req: &RecordedRequest, seq: usize) -> Rendered {
    let (text, prompt) = (&turn.text, turn.input_tokens);
    if req.wants_stream() {
        Rendered::sse(stream_frames(req, text, prompt, seq, false), false)
    } else {
        Rendered::json(200, completion(req, text, prompt, seq))
    }
}

fn usage(req: &RecordedRequest, text: &str, prompt: Option<u64>) -> Value {
    let prompt = prompt.unwrap_or_else(|| tokens(&req.raw_body));
    let completion = tokens(text);
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

fn completion(req: &RecordedRequest, text: &str, prompt: Option<u64>, seq: usize) -> Value {
    json!({
        "id": format!("chatcmpl-fake-{seq:04}"),
        "object": "chat.completion",
        "created": now_secs(),
        "model": model(req),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": usage(req, text, prompt),
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
fn stream_frames(
    req: &RecordedRequest,
    text: &str,
    prompt: Option<u64>,
    seq: usize,
    cut: bool,
) -> Vec<String> {
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
    last["usage"] = usage(req, text, prompt);
    frames.push(data_frame(&last.to_string()));
    frames.push(data_frame("[DONE]"));
    frames
}

//! OpenAI Responses API answers (`POST /v1/responses`), as Codex CLI expects them.

use serde_json::{Value, json};

use super::render::{Rendered, named_frame, now_secs, pieces, tokens};
use super::reply::Reply;
use super::request::{Protocol, RecordedRequest};

/// Renders `reply` for a Responses request. `Status` and `Delayed` are handled by the caller.
pub fn render(reply: &Reply, req: &RecordedRequest, seq: usize) -> Rendered {
    if let Reply::Overloaded = reply {
        return failed(
            req,
            seq,
            "server_is_overloaded",
            "Selected model is at capacity. Please try a different model.",
        );
    }
    if let Some(err) = super::openai::render_error(reply, Protocol::Responses, seq) {
        return err;
    }
    match reply {
        Reply::Text(text) if req.wants_stream() => {
            Rendered::sse(stream_frames(req, text, seq, false), false)
        }
        Reply::Text(text) => Rendered::json(
            200,
            response(req, seq, "completed", vec![done_item(text, seq)], text),
        ),
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
        Reply::StreamFailure { code, message } => failed(req, seq, code, message),
        _ => unreachable!("error, Status and Delayed replies are rendered elsewhere"),
    }
}

fn response(
    req: &RecordedRequest,
    seq: usize,
    status: &str,
    output: Vec<Value>,
    text: &str,
) -> Value {
    let mut r = json!({
        "id": format!("resp_fake_{seq:04}"),
        "object": "response",
        "created_at": now_secs(),
        "status": status,
        "model": req.model().unwrap_or("gpt-fake"),
        "output": output,
    });
    if status == "completed" {
        let input = tokens(&req.raw_body);
        let output = tokens(text);
        r["usage"] = json!({
            "input_tokens": input,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input + output,
        });
    }
    r
}

fn item_id(seq: usize) -> String {
    format!("msg_fake_{seq:04}")
}

fn done_item(text: &str, seq: usize) -> Value {
    json!({
        "id": item_id(seq),
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    })
}

/// response.created, response.output_item.added, response.content_part.added,
/// response.output_text.delta…, then (unless `cut`) response.output_text.done,
/// response.content_part.done, response.output_item.done and response.completed.
fn stream_frames(req: &RecordedRequest, text: &str, seq: usize, cut: bool) -> Vec<String> {
    let id = item_id(seq);
    let mut n = 0;
    let mut frame = |event: &str, mut data: Value| {
        data["type"] = Value::String(event.to_owned());
        data["sequence_number"] = json!(n);
        n += 1;
        named_frame(event, &data)
    };
    let mut frames = vec![
        frame(
            "response.created",
            json!({"response": response(req, seq, "in_progress", vec![], "")}),
        ),
        frame(
            "response.output_item.added",
            json!({"output_index": 0, "item": {"id": id, "type": "message", "status": "in_progress",
                   "role": "assistant", "content": []}}),
        ),
        frame(
            "response.content_part.added",
            json!({"item_id": id, "output_index": 0, "content_index": 0,
                   "part": {"type": "output_text", "text": "", "annotations": []}}),
        ),
    ];
    for piece in pieces(text) {
        frames.push(frame(
            "response.output_text.delta",
            json!({"item_id": id, "output_index": 0, "content_index": 0, "delta": piece}),
        ));
    }
    if cut {
        return frames;
    }
    frames.push(frame(
        "response.output_text.done",
        json!({"item_id": id, "output_index": 0, "content_index": 0, "text": text}),
    ));
    frames.push(frame(
        "response.content_part.done",
        json!({"item_id": id, "output_index": 0, "content_index": 0,
               "part": {"type": "output_text", "text": text, "annotations": []}}),
    ));
    frames.push(frame(
        "response.output_item.done",
        json!({"output_index": 0, "item": done_item(text, seq)}),
    ));
    frames.push(frame(
        "response.completed",
        json!({"response": response(req, seq, "completed", vec![done_item(text, seq)], text)}),
    ));
    frames
}

/// response.created, then response.failed carrying `error.code` and `error.message`.
fn failed(req: &RecordedRequest, seq: usize, code: &str, message: &str) -> Rendered {
    let created = json!({"type": "response.created", "sequence_number": 0,
                         "response": response(req, seq, "in_progress", vec![], "")});
    let mut failed = response(req, seq, "failed", vec![], "");
    failed["error"] = json!({"code": code, "message": message});
    let failed = json!({"type": "response.failed", "sequence_number": 1, "response": failed});
    Rendered::sse(
        vec![
            named_frame("response.created", &created),
            named_frame("response.failed", &failed),
        ],
        false,
    )
}

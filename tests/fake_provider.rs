//! Self-tests of the fake provider (no real clients involved): wire formats, script order,
//! matchers, recording and waiting.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::fake_provider::{OPENCODE_TITLE_MARKER, Protocol, RecordedRequest};
use support::{FakeProvider, Reply, Scripted, UsageLimit};

const WAIT: Duration = Duration::from_secs(10);

async fn post(fake: &FakeProvider, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", fake.url()))
        .json(&body)
        .send()
        .await
        .expect("request reaches the fake")
}

/// `(event name, data)` pairs of an SSE body; the name is `None` for data-only frames.
fn sse_events(body: &str) -> Vec<(Option<String>, String)> {
    body.split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|frame| {
            let mut event = None;
            let mut data = String::new();
            for line in frame.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = Some(e.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            (event, data)
        })
        .collect()
}

fn anthropic_body(prompt: &str) -> Value {
    json!({"model": "claude-x", "stream": true, "max_tokens": 10,
           "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}]})
}

#[tokio::test]
async fn anthropic_stream_has_every_event_in_order_and_carries_the_text() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("hello there, world"));
    let resp = post(&fake, "/v1/messages?beta=true", anthropic_body("hi")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let events = sse_events(&resp.text().await.unwrap());
    let names: Vec<_> = events.iter().map(|(e, _)| e.clone().unwrap()).collect();
    assert_eq!(names.first().map(String::as_str), Some("message_start"));
    assert_eq!(names[1], "content_block_start");
    assert!(
        names[2..names.len() - 3]
            .iter()
            .all(|n| n == "content_block_delta")
    );
    assert_eq!(
        &names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    let text: String = events
        .iter()
        .filter(|(e, _)| e.as_deref() == Some("content_block_delta"))
        .map(|(_, d)| {
            serde_json::from_str::<Value>(d).unwrap()["delta"]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(text, "hello there, world");
}

#[tokio::test]
async fn non_stream_requests_get_complete_json() {
    let fake = FakeProvider::start();
    let mut body = anthropic_body("hi");
    body["stream"] = json!(false);
    let v: Value = post(&fake, "/v1/messages", body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["content"][0]["text"],
        support::fake_provider::DEFAULT_TEXT
    );
    assert_eq!(v["stop_reason"], "end_turn");
    let chat: Value = post(
        &fake,
        "/v1/chat/completions",
        json!({"model": "m", "messages": []}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        chat["choices"][0]["message"]["content"],
        support::fake_provider::DEFAULT_TEXT
    );
}

#[tokio::test]
async fn chat_stream_ends_with_done_and_responses_stream_completes() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("abc"));
    fake.push(Reply::text("xyz"));
    let chat = post(
        &fake,
        "/v1/chat/completions",
        json!({"model": "m", "stream": true, "messages": []}),
    )
    .await;
    let events = sse_events(&chat.text().await.unwrap());
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let finish = &events[events.len() - 2].1;
    assert_eq!(
        serde_json::from_str::<Value>(finish).unwrap()["choices"][0]["finish_reason"],
        "stop"
    );

    let resp = post(
        &fake,
        "/v1/responses",
        json!({"model": "gpt", "stream": true, "input": []}),
    )
    .await;
    let events = sse_events(&resp.text().await.unwrap());
    let names: Vec<_> = events.iter().map(|(e, _)| e.clone().unwrap()).collect();
    for expected in [
        "response.created",
        "response.output_item.added",
        "response.output_text.delta",
        "response.output_item.done",
        "response.completed",
    ] {
        assert!(
            names.contains(&expected.to_owned()),
            "{expected} missing from {names:?}"
        );
    }
    assert_eq!(names.last().unwrap(), "response.completed");
    let done: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(done["response"]["output"][0]["content"][0]["text"], "xyz");
}

#[tokio::test]
async fn script_is_consumed_in_order_with_matchers_counts_and_default() {
    let fake = FakeProvider::start();
    fake.push(
        Scripted::once(Reply::text("title"))
            .when_body_contains(OPENCODE_TITLE_MARKER)
            .always(),
    );
    fake.push(Reply::rate_limited(Duration::from_millis(1500)));
    fake.push(Scripted::once(Reply::Overloaded).times(2));
    let chat =
        |prompt: &str| json!({"model": "m", "messages": [{"role": "user", "content": prompt}]});

    let statuses = [
        post(&fake, "/v1/chat/completions", chat("one")).await,
        post(&fake, "/v1/chat/completions", chat(OPENCODE_TITLE_MARKER)).await,
        post(&fake, "/v1/chat/completions", chat("two")).await,
        post(&fake, "/v1/chat/completions", chat("three")).await,
        post(&fake, "/v1/chat/completions", chat(OPENCODE_TITLE_MARKER)).await,
        post(&fake, "/v1/chat/completions", chat("four")).await,
    ];
    let codes: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(codes, [429, 200, 503, 503, 200, 200]);
    assert_eq!(statuses[0].headers()["retry-after"], "2");
    assert_eq!(statuses[0].headers()["retry-after-ms"], "1500");
    assert_eq!(fake.last_user_text().as_deref(), Some("four"));
    assert_eq!(fake.requests_to("/v1/chat/completions").len(), 6);
}

#[tokio::test]
async fn usage_limit_uses_each_protocols_own_form() {
    let fake = FakeProvider::start();
    let limit = UsageLimit::session_in(Duration::from_secs(3600)).plan("pro");
    let reset = limit.resets_at.timestamp();
    for _ in 0..3 {
        fake.push(Reply::UsageLimit(limit.clone()));
    }
    let a = post(&fake, "/v1/messages", anthropic_body("x")).await;
    assert_eq!(a.status(), 429);
    assert_eq!(
        a.headers()["anthropic-ratelimit-unified-status"],
        "rejected"
    );
    assert_eq!(
        a.headers()["anthropic-ratelimit-unified-representative-claim"],
        "five_hour"
    );
    assert_eq!(
        a.headers()["anthropic-ratelimit-unified-reset"],
        reset.to_string().as_str()
    );
    let body: Value = a.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_error");

    let r = post(&fake, "/v1/responses", json!({"input": []})).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-codex-primary-used-percent"], "100");
    assert_eq!(
        r.headers()["x-codex-primary-reset-at"],
        reset.to_string().as_str()
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "usage_limit_reached");
    assert_eq!(body["error"]["resets_at"], reset);
    assert_eq!(body["error"]["plan_type"], "pro");

    let c = post(&fake, "/v1/chat/completions", json!({"messages": []})).await;
    assert_eq!(c.status(), 429);
    let left: i64 = c.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3590..=3600).contains(&left), "retry-after {left}");
}

#[tokio::test]
async fn prompt_too_long_and_status_replies() {
    let fake = FakeProvider::start();
    fake.push(Reply::PromptTooLong);
    fake.push(Reply::status(
        418,
        &[("x-test", "yes")],
        json!({"teapot": true}),
    ));
    let a = post(&fake, "/v1/messages", anthropic_body("x")).await;
    assert_eq!(a.status(), 400);
    let body: Value = a.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "prompt is too long: 210000 tokens > 200000 maximum"
    );
    let s = post(&fake, "/v1/responses", json!({})).await;
    assert_eq!(s.status(), 418);
    assert_eq!(s.headers()["x-test"], "yes");
    assert_eq!(s.json::<Value>().await.unwrap()["teapot"], true);
}

#[tokio::test]
async fn disconnect_breaks_the_stream_after_partial_text() {
    let fake = FakeProvider::start();
    fake.push(Reply::Disconnect {
        partial: "half an ans".into(),
    });
    let resp = post(&fake, "/v1/messages", anthropic_body("x")).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text().await.is_err(),
        "a cut stream must not read as complete"
    );
}

#[tokio::test]
async fn records_requests_and_waits_without_sleeping() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("late").delayed(Duration::from_millis(200)));
    let url = fake.url();
    let sender = tokio::spawn(async move {
        let client = reqwest::Client::new();
        client.head(format!("{url}/")).send().await.unwrap();
        client
            .post(format!("{url}/v1/messages/count_tokens"))
            .json(&json!({"messages": []}))
            .send()
            .await
            .unwrap();
        client
            .post(format!("{url}/v1/messages"))
            .json(&anthropic_body("ping"))
            .send()
            .await
            .unwrap()
    });
    let model = fake.wait_for_requests_async(1, WAIT).await;
    assert_eq!(model.len(), 1);
    assert_eq!(model[0].protocol, Some(Protocol::AnthropicMessages));
    assert_eq!(model[0].last_user_text().as_deref(), Some("ping"));
    let all = fake.requests();
    assert_eq!(all[0].method, "HEAD");
    assert_eq!(all[1].path, "/v1/messages/count_tokens");
    assert!(
        all[2]
            .header("content-type")
            .is_some_and(|v| v.contains("json"))
    );
    let resp = sender.await.unwrap();
    assert!(resp.text().await.unwrap().contains("late"));
}

#[test]
fn sync_wait_works_from_a_plain_thread() {
    let fake = FakeProvider::start();
    let url = fake.url();
    let t = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            reqwest::Client::new()
                .post(format!("{url}/v1/responses"))
                .json(&json!({"input": "plain string prompt"}))
                .send()
                .await
                .unwrap()
        })
    });
    let reqs = fake.wait_for_requests_to("/v1/responses", 1, WAIT);
    assert_eq!(
        reqs[0].last_user_text().as_deref(),
        Some("plain string prompt")
    );
    assert_eq!(t.join().unwrap().status(), 200);
}

fn recorded(path: &str, body: Value) -> RecordedRequest {
    RecordedRequest {
        seq: 0,
        method: "POST".into(),
        path: path.into(),
        headers: vec![],
        raw_body: body.to_string(),
        body,
        protocol: Protocol::from_path(path),
        answered: String::new(),
    }
}

#[test]
fn last_user_text_skips_injected_blocks_per_protocol() {
    let claude = recorded(
        "/v1/messages?beta=true",
        json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>\nctx\n</system-reminder>"},
            {"type": "text", "text": "say hi"}]},
            {"role": "system", "content": "agents"}]}),
    );
    assert_eq!(claude.last_user_text().as_deref(), Some("say hi"));
    let codex = recorded(
        "/v1/responses",
        json!({"input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go on"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>x</environment_context>"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]}]}),
    );
    // The last user message is the injected one; its only block is returned as a fallback.
    assert_eq!(
        codex.last_user_text().as_deref(),
        Some("<environment_context>x</environment_context>")
    );
    let chat = recorded(
        "/v1/chat/completions",
        json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "\"quoted\""}]}]}),
    );
    assert_eq!(chat.last_user_text().as_deref(), Some("\"quoted\""));
}

#[tokio::test]
async fn stream_failures_fail_in_band_or_as_http_errors_for_plain_requests() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::stream_failure("overloaded_error", "Overloaded"));
    let events = sse_events(
        &post(&fake, "/v1/messages", anthropic_body("x"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(events.first().unwrap().0.as_deref(), Some("message_start"));
    assert_eq!(events.last().unwrap().0.as_deref(), Some("error"));
    let mut plain = anthropic_body("x");
    plain["stream"] = json!(false);
    assert_eq!(post(&fake, "/v1/messages", plain).await.status(), 529);

    fake.set_default(Reply::Overloaded);
    let body = post(&fake, "/v1/responses", json!({"stream": true, "input": []}))
        .await
        .text()
        .await
        .unwrap();
    let events = sse_events(&body);
    let failed: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(failed["type"], "response.failed");
    assert_eq!(failed["response"]["error"]["code"], "server_is_overloaded");
}

fn gemini_body(prompt: &str) -> Value {
    json!({"contents": [
        {"role": "user", "parts": [{"text": "<session_context>\nThis is the Gemini CLI.</session_context>"}]},
        {"role": "user", "parts": [{"text": prompt}]},
    ]})
}

#[tokio::test]
async fn gemini_streams_text_and_answers_quota_in_the_google_error_shape() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("hello there, gemini"));
    fake.push(Reply::UsageLimit(UsageLimit::session_in(
        Duration::from_secs(90),
    )));
    let stream = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse";
    let resp = post(&fake, stream, gemini_body("say hi")).await;
    assert_eq!(resp.status(), 200);
    let frames = sse_events(&resp.text().await.unwrap());
    let chunks: Vec<Value> = frames
        .iter()
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    let text: String = chunks
        .iter()
        .map(|c| {
            c["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(text, "hello there, gemini");
    assert_eq!(
        chunks.last().unwrap()["candidates"][0]["finishReason"],
        "STOP"
    );
    assert!(chunks[0]["candidates"][0].get("finishReason").is_none());

    let resp = post(&fake, stream, gemini_body("again")).await;
    assert_eq!(resp.status(), 429);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["status"], "RESOURCE_EXHAUSTED");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("Your quota will reset after"), "{message}");

    let plain = post(
        &fake,
        "/v1beta/models/gemini-2.5-flash-lite:generateContent",
        gemini_body("x"),
    )
    .await;
    let body: Value = plain.json().await.unwrap();
    assert_eq!(
        body["candidates"][0]["content"]["parts"][0]["text"],
        support::fake_provider::DEFAULT_TEXT
    );

    let reqs = fake.model_requests();
    assert_eq!(reqs[0].protocol, Some(Protocol::Gemini));
    assert!(reqs[0].wants_stream() && !reqs[2].wants_stream());
    assert_eq!(reqs[0].model(), Some("gemini-2.5-pro"));
    assert_eq!(reqs[0].last_user_text().as_deref(), Some("say hi"));
}

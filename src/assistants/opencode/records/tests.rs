//! opencode assistant messages, retry headers and session status.

use crate::tz::Tz;
use proptest::prelude::*;
use rstest::rstest;
use serde_json::{Value, json};

use super::*;
use crate::classify::ClassifyContext;
use crate::formats::test_support::{arb_json, at, stop};
use crate::model::{HumanCause::*, Signal, StopReason::*, UsageWindow};

fn ctx() -> ClassifyContext {
    ClassifyContext::new(at("2025-11-24T00:12:15Z"), Tz::UTC)
}

/// An assistant message info with `extra` merged in.
fn msg(extra: Value) -> Value {
    let mut v = json!({
        "id": "msg_9a1b2c3d4e5f", "sessionID": "ses_5f6e7d8c9b0a", "role": "assistant",
        "time": {"created": 1763943120000i64, "completed": 1763943135000i64},
        "parentID": "msg_9a1b2c3d4e5e", "modelID": "m", "providerID": "local", "mode": "build",
        "cost": 0, "tokens": {"input": 0, "output": 0, "reasoning": 0, "cache": {"read": 0, "write": 0}},
    });
    if let (Some(m), Value::Object(e)) = (v.as_object_mut(), extra) {
        m.extend(e);
    }
    v
}

fn api_error(status: Option<u16>, message: &str, headers: Value, body: Option<&str>) -> Value {
    msg(json!({"error": {"name": "APIError", "data": {
        "message": message, "statusCode": status, "isRetryable": true,
        "responseHeaders": headers, "responseBody": body,
    }}}))
}

fn named(name: &str, message: &str) -> Value {
    msg(json!({"error": {"name": name, "data": {"message": message}}}))
}

#[rstest]
#[case::user(json!({"id": "msg_1", "role": "user", "time": {"created": 1}}), None)]
#[case::in_flight(msg(json!({"time": {"created": 1763943120000i64}})), None)]
#[case::finished(msg(json!({"finish": "stop"})), stop(Completed, "finish: stop"))]
#[case::tool_calls(msg(json!({"finish": "tool-calls"})), Some(Signal::Progress))]
#[case::unknown_finish(msg(json!({"finish": "unknown"})), Some(Signal::Progress))]
#[case::length(msg(json!({"finish": "length"})), stop(Unknown, "finish: length"))]
#[case::aborted(msg(json!({})), stop(UserExit, "completed without finish: aborted"))]
#[case::summary(msg(json!({"finish": "stop", "summary": true, "mode": "compaction"})), Some(Signal::Progress))]
#[case::null_error(msg(json!({"finish": "stop", "error": null})), stop(Completed, "finish: stop"))]
#[case::rate_limit(api_error(Some(429), "Too Many Requests", json!({"retry-after": "30"}), None), stop(RateLimit { retry_after_secs: Some(30) }, "Too Many Requests"))]
#[case::rate_limit_ms(api_error(Some(429), "Too Many Requests", json!({"Retry-After-Ms": "1500", "retry-after": "30"}), None), stop(RateLimit { retry_after_secs: Some(2) }, "Too Many Requests"))]
#[case::rate_limit_date(api_error(Some(429), "Too Many Requests", json!({"retry-after": "Mon, 24 Nov 2025 00:13:00 GMT"}), None), stop(RateLimit { retry_after_secs: Some(45) }, "Too Many Requests"))]
#[case::rate_limit_bare(api_error(Some(429), "Rate limit exceeded", json!({}), None), stop(RateLimit { retry_after_secs: None }, "Rate limit exceeded"))]
#[case::quota(api_error(Some(429), "You exceeded your current quota, please check your plan and billing details.", json!({}), Some("{\"error\":{\"type\":\"insufficient_quota\"}}")), stop(NeedsHuman { cause: QuotaOrPlan }, "You exceeded your current quota, please check your plan and billing details."))]
#[case::subscription(api_error(Some(429), "You've hit your session limit · resets 2am (UTC)", json!({}), None), stop(UsageLimit { resets_at: Some(at("2025-11-24T02:00:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Minute  }, "You've hit your session limit · resets 2am (UTC)"))]
#[case::unavailable(api_error(Some(503), "Service Unavailable", json!({}), None), stop(Transient { status: Some(503) }, "Service Unavailable"))]
#[case::server_error(api_error(Some(500), "Internal Server Error", json!({}), None), stop(Transient { status: Some(500) }, "Internal Server Error"))]
#[case::unauthorized(api_error(Some(401), "Incorrect API key provided", json!({}), None), stop(NeedsHuman { cause: Authentication }, "Incorrect API key provided"))]
#[case::context_400(api_error(Some(400), "This model's maximum context length is 128000 tokens.", json!({}), None), stop(ContextExhausted, "This model's maximum context length is 128000 tokens."))]
#[case::unreachable(api_error(None, "Unable to connect. Is the computer able to access the url?", json!(null), None), stop(Transient { status: None }, "Unable to connect. Is the computer able to access the url?"))]
#[case::overflow(
    named("ContextOverflowError", "Input exceeds context window of this model"),
    stop(ContextExhausted, "Input exceeds context window of this model")
)]
#[case::auth(msg(json!({"error": {"name": "ProviderAuthError", "data": {"providerID": "local", "message": "Missing API key"}}})), stop(NeedsHuman { cause: Authentication }, "Missing API key"))]
#[case::abort_error(
    named("MessageAbortedError", "The operation was aborted."),
    stop(UserExit, "The operation was aborted.")
)]
#[case::output_length(msg(json!({"error": {"name": "MessageOutputLengthError", "data": {}}})), stop(Unknown, "MessageOutputLengthError"))]
#[case::unknown_error(named("UnknownError", "boom"), stop(Unknown, "boom"))]
#[case::wrapped(json!({"info": api_error(Some(503), "Service Unavailable", json!({}), None), "parts": []}), stop(Transient { status: Some(503) }, "Service Unavailable"))]
fn assistant_messages(#[case] m: Value, #[case] want: Option<Signal>) {
    assert_eq!(classify_message(&m, &ctx()), want, "{m}");
}

#[test]
fn a_real_429_message() {
    let m: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/formats/opencode-message-429.json"
    ))
    .expect("fixture");
    assert_eq!(
        classify_message(&m, &ctx()),
        stop(
            RateLimit {
                retry_after_secs: Some(30)
            },
            "Too Many Requests"
        )
    );
}

#[rstest]
#[case(json!({"retry-after-ms": "250"}), Some(1))]
#[case(json!({"retry-after-ms": "2000", "retry-after": "60"}), Some(2))]
#[case(json!({"retry-after": "120"}), Some(120))]
#[case(json!({"Retry-After": " 7 "}), Some(7))]
#[case(json!({"retry-after": "1.5"}), Some(2))]
#[case(json!({"retry-after": "Mon, 24 Nov 2025 00:14:15 GMT"}), Some(120))]
#[case(json!({"retry-after": "Sun, 23 Nov 2025 23:00:00 GMT"}), Some(0))]
#[case(json!({"retry-after": "-5"}), None)]
#[case(json!({"retry-after": "soon"}), None)]
#[case(json!({"retry-after-ms": "NaN"}), None)]
#[case(json!({"content-type": "application/json"}), None)]
fn retry_after_headers(#[case] headers: Value, #[case] want: Option<u64>) {
    let h = headers.as_object().expect("object");
    assert_eq!(retry_after_secs(h, ctx().now), want, "{headers}");
}

#[rstest]
#[case(json!({"type": "idle"}), Some(SessionStatus::Idle))]
#[case(json!({"type": "busy"}), Some(SessionStatus::Busy))]
#[case(json!({"type": "retry", "attempt": 2, "message": "Too Many Requests", "next": 1763943150000i64}), Some(SessionStatus::Retry { attempt: 2, message: "Too Many Requests".to_owned(), next: Some(at("2025-11-24T00:12:30Z")) }))]
#[case(json!({"type": "retry", "attempt": 1}), Some(SessionStatus::Retry { attempt: 1, message: String::new(), next: None }))]
#[case(json!({"type": "compacting"}), None)]
#[case(json!({"status": "idle"}), None)]
#[case(json!("idle"), None)]
fn session_statuses(#[case] v: Value, #[case] want: Option<SessionStatus>) {
    assert_eq!(parse_session_status(&v), want);
}

#[rstest]
#[case(SessionStatus::Idle, None)]
#[case(SessionStatus::Busy, Some(Signal::Progress))]
#[case(SessionStatus::Retry { attempt: 3, message: String::new(), next: Some(at("2025-11-24T00:12:30Z")) }, Some(Signal::Retrying { next: Some(at("2025-11-24T00:12:30Z")) }))]
fn status_signals(#[case] s: SessionStatus, #[case] want: Option<Signal>) {
    assert_eq!(s.signal(), want);
}

#[test]
fn status_maps_list_each_session() {
    let v = json!({"ses_a": {"type": "busy"}, "ses_b": {"type": "retry", "attempt": 1, "next": 1763943150000i64}, "ses_c": 7});
    let got = parse_status_map(&v);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], ("ses_a".to_owned(), SessionStatus::Busy));
    assert_eq!(got[1].0, "ses_b");
    assert!(parse_status_map(&json!([1, 2])).is_empty());
}

proptest! {
    #[test]
    fn opencode_parsers_never_panic(v in arb_json()) {
        let _ = classify_message(&v, &ctx());
        let _ = classify_message(&json!({"role": "assistant", "error": v.clone()}), &ctx());
        let _ = parse_session_status(&v);
        let _ = parse_status_map(&v);
        if let Some(h) = v.as_object() {
            let _ = retry_after_secs(h, ctx().now);
        }
    }
}

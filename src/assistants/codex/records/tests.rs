//! Codex rollout lines, the rollout state, and `codex exec --json` events.

use crate::tz::Tz;
use proptest::prelude::*;
use rstest::rstest;
use serde_json::{Value, json};

use super::*;
use crate::classify::ClassifyContext;
use crate::formats::test_support::{arb_json, at, stop};
use crate::model::{HumanCause::*, Signal, StopReason, StopReason::*, UsageWindow};

const TID: &str = "019a8f3e-1d2c-7b40-9e1f-5a6b7c8d9e0f";
const TS: &str = "2025-11-24T00:12:00.000Z";

fn ev(payload: Value) -> String {
    json!({"timestamp": TS, "type": "event_msg", "payload": payload}).to_string()
}

fn item(payload: Value) -> String {
    json!({"timestamp": TS, "type": "response_item", "payload": payload}).to_string()
}

fn meta() -> String {
    json!({"timestamp": TS, "type": "session_meta", "payload": {"id": TID, "timestamp": TS,
        "cwd": "/home/dev/proj", "originator": "codex_exec", "cli_version": "0.169.0"}})
    .to_string()
}

fn failed(message: &str, info: Value) -> String {
    ev(
        json!({"type": "task_complete", "turn_id": "1", "last_agent_message": null,
        "error": {"message": message, "codex_error_info": info}}),
    )
}

const LIMIT_AT: &str = "You've hit your usage limit. Try again at 2:46 AM.";
const RETRY_429: &str = "exceeded retry limit, last status: 429 Too Many Requests";
const CONTEXT: &str = "Codex ran out of room in the model's context window. Start a new conversation or clear earlier history before retrying.";
const HIGH_DEMAND: &str =
    "We're currently experiencing high demand, which may cause temporary errors.";

fn limit_at_246() -> StopReason {
    UsageLimit {
        resets_at: Some(at("2025-11-24T02:46:00Z")),
        window: UsageWindow::Session,
        precision: crate::model::Precision::Minute,
    }
}

/// The same reset, read from the exhausted window's `resets_at`: to the second.
fn window_reset_at_246() -> StopReason {
    UsageLimit {
        resets_at: Some(at("2025-11-24T02:46:00Z")),
        window: UsageWindow::Session,
        precision: crate::model::Precision::Exact,
    }
}

#[rstest]
#[case::meta(meta(), Some(Signal::Started { resumed: false }))]
#[case::user_message(item(json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]})), None)]
#[case::assistant_message(item(json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]})), Some(Signal::Progress))]
#[case::reasoning(item(json!({"type": "reasoning", "summary": []})), Some(Signal::Progress))]
#[case::function_call(item(json!({"type": "function_call", "name": "shell", "arguments": "{}", "call_id": "c1"})), Some(Signal::Progress))]
#[case::task_started(ev(json!({"type": "task_started", "turn_id": "1"})), None)]
#[case::user_message(ev(json!({"type": "user_message", "message": "go on"})), None)]
#[case::compacted_event(ev(json!({"type": "context_compacted"})), Some(Signal::Progress))]
#[case::agent_message(ev(json!({"type": "agent_message", "message": "done"})), Some(Signal::Progress))]
#[case::token_count(ev(json!({"type": "token_count", "info": null, "rate_limits": {"primary": {"used_percent": 42.0, "window_minutes": 300, "resets_at": 1763952360}}})), None)]
#[case::completed(ev(json!({"type": "task_complete", "turn_id": "1", "last_agent_message": "done"})), stop(Completed, "task_complete"))]
#[case::completed_null_error(ev(json!({"type": "task_complete", "error": null})), stop(Completed, "task_complete"))]
#[case::usage_limit(failed(LIMIT_AT, json!("usage_limit_exceeded")), stop(limit_at_246(), LIMIT_AT))]
#[case::quota(failed("Quota exceeded. Check your plan and billing details.", json!("usage_limit_exceeded")), stop(NeedsHuman { cause: QuotaOrPlan }, "Quota exceeded. Check your plan and billing details."))]
#[case::retry_limit(failed(RETRY_429, json!({"response_too_many_failed_attempts": {"http_status_code": 429}})), stop(RateLimit { retry_after_secs: None }, RETRY_429))]
#[case::retry_limit_camel(failed(RETRY_429, json!({"responseTooManyFailedAttempts": {"httpStatusCode": 429}})), stop(RateLimit { retry_after_secs: None }, RETRY_429))]
#[case::context(failed(CONTEXT, json!("context_window_exceeded")), stop(ContextExhausted, CONTEXT))]
#[case::internal(failed(HIGH_DEMAND, json!("internal_server_error")), stop(Transient { status: None }, HIGH_DEMAND))]
#[case::overloaded(failed("unexpected status 503 Service Unavailable", json!("server_overloaded")), stop(Transient { status: None }, "unexpected status 503 Service Unavailable"))]
#[case::aborted(ev(json!({"type": "turn_aborted", "reason": "interrupted"})), stop(UserExit, "turn aborted"))]
#[case::replaced(ev(json!({"type": "turn_aborted", "reason": "replaced"})), None)]
#[case::error_event(ev(json!({"type": "error", "message": LIMIT_AT, "codex_error_info": "usage_limit_exceeded"})), stop(limit_at_246(), LIMIT_AT))]
#[case::error_event_untagged(ev(json!({"type": "error", "message": HIGH_DEMAND})), stop(Transient { status: None }, HIGH_DEMAND))]
#[case::reconnecting(ev(json!({"type": "error", "message": "Reconnecting... 2/5"})), Some(Signal::Retrying { next: None }))]
#[case::stream_error(ev(json!({"type": "stream_error", "message": "stream disconnected before completion"})), Some(Signal::Retrying { next: None }))]
#[case::mcp_error(ev(json!({"type": "error", "message": "MCP client for `pencil` failed to start"})), None)]
#[case::turn_context(json!({"timestamp": TS, "type": "turn_context", "payload": {"cwd": "/x"}}).to_string(), None)]
#[case::compacted(json!({"timestamp": TS, "type": "compacted", "payload": {"message": "summary"}}).to_string(), None)]
fn rollout_lines(#[case] line: String, #[case] want: Option<Signal>) {
    let rec = parse_rollout_line(&line, Tz::UTC).expect("parses");
    assert_eq!(rec.signal, want, "{line}");
}

#[rstest]
#[case::primary_full(json!({"primary": {"used_percent": 100.0, "window_minutes": 300, "resets_at": 1763952360}}), Some("2025-11-24T02:46:00Z"))]
#[case::secondary_full(json!({"primary": {"used_percent": 20.0, "resets_at": 1763952360}, "secondary": {"used_percent": 100.0, "window_minutes": 10080, "resets_at": 1764400000}}), Some("2025-11-29T07:06:40Z"))]
#[case::both_full_later_wins(json!({"primary": {"used_percent": 100.0, "resets_at": 1763952360}, "secondary": {"used_percent": 100.0, "resets_at": 1764400000}}), Some("2025-11-29T07:06:40Z"))]
#[case::relative(json!({"primary": {"used_percent": 100.0, "resets_in_seconds": 3600}}), Some("2025-11-24T01:12:00Z"))]
#[case::rfc3339(json!({"primary": {"used_percent": 100.0, "resets_at": "2025-11-24T02:46:00Z"}}), Some("2025-11-24T02:46:00Z"))]
#[case::none_full(json!({"primary": {"used_percent": 99.9, "resets_at": 1763952360}}), None)]
#[case::full_without_reset(json!({"primary": {"used_percent": 100.0}}), None)]
fn exhausted_windows(#[case] limits: Value, #[case] want: Option<&str>) {
    let line = ev(json!({"type": "token_count", "info": null, "rate_limits": limits}));
    let rec = parse_rollout_line(&line, Tz::UTC).expect("parses");
    assert_eq!(rec.rate_limit_resets, want.map(at));
}

fn feed_all(state: &mut CodexRolloutState, lines: &[String]) -> Vec<Option<Signal>> {
    lines
        .iter()
        .map(|l| state.feed(l).expect("parses").signal)
        .collect()
}

fn full_window() -> String {
    ev(
        json!({"type": "token_count", "rate_limits": {"primary": {"used_percent": 100.0, "window_minutes": 300, "resets_at": 1763952360}}}),
    )
}

#[test]
fn the_exhausted_window_dates_a_later_usage_limit() {
    let mut state = CodexRolloutState::new(Tz::UTC);
    let later = "You've hit your usage limit. Try again later.";
    let signals = feed_all(
        &mut state,
        &[
            meta(),
            full_window(),
            failed(later, json!("usage_limit_exceeded")),
        ],
    );
    assert_eq!(signals[2], stop(window_reset_at_246(), later));
    assert_eq!(state.session_id.as_deref(), Some(TID));
    assert_eq!(state.limit_resets, Some(at("2025-11-24T02:46:00Z")));
}

#[test]
fn a_window_that_recovered_is_forgotten() {
    let mut state = CodexRolloutState::new(Tz::UTC);
    let later = "You've hit your usage limit. Try again later.";
    let recovered = ev(
        json!({"type": "token_count", "rate_limits": {"primary": {"used_percent": 3.0, "resets_at": 1763970000}}}),
    );
    let signals = feed_all(
        &mut state,
        &[
            full_window(),
            recovered,
            failed(later, json!("usage_limit_exceeded")),
        ],
    );
    let want = UsageLimit {
        resets_at: None,
        window: UsageWindow::Unknown,
        precision: crate::model::Precision::Minute,
    };
    assert_eq!(signals[2], stop(want, later));
}

#[test]
fn an_error_event_is_not_undone_by_the_bare_task_complete_after_it() {
    let mut state = CodexRolloutState::new(Tz::UTC);
    let error = ev(
        json!({"type": "error", "message": LIMIT_AT, "codex_error_info": "usage_limit_exceeded"}),
    );
    let bare = ev(json!({"type": "task_complete", "last_agent_message": null}));
    let signals = feed_all(
        &mut state,
        &[ev(json!({"type": "task_started"})), error, bare],
    );
    assert_eq!(signals[1], stop(limit_at_246(), LIMIT_AT));
    assert_eq!(signals[2], stop(limit_at_246(), LIMIT_AT));
}

#[test]
fn an_error_the_turn_recovered_from_does_not_stop_it() {
    let mut state = CodexRolloutState::new(Tz::UTC);
    let error = ev(json!({"type": "error", "message": HIGH_DEMAND}));
    let bare = ev(json!({"type": "task_complete", "last_agent_message": "done"}));
    let progress = ev(json!({"type": "agent_message", "message": "done"}));
    let signals = feed_all(&mut state, &[error, progress, bare]);
    assert_eq!(signals[2], stop(Completed, "task_complete"));
}

#[test]
fn a_second_session_meta_is_a_resume() {
    let mut state = CodexRolloutState::new(Tz::UTC);
    let signals = feed_all(&mut state, &[meta(), meta()]);
    assert_eq!(signals[1], Some(Signal::Started { resumed: true }));
    let rec = state
        .feed(&ev(json!({"type": "agent_message"})))
        .expect("parses");
    assert_eq!(rec.session_id.as_deref(), Some(TID));
    assert_eq!(
        rec.cwd.as_deref(),
        Some(std::path::Path::new("/home/dev/proj"))
    );
}

#[test]
fn a_real_rollout_reads_in_order() {
    let file = include_str!("../../../../tests/fixtures/formats/codex-rollout-usage-limit.jsonl");
    let mut state = CodexRolloutState::new(Tz::UTC);
    let lines: Vec<String> = file.lines().map(str::to_owned).collect();
    let signals = feed_all(&mut state, &lines);
    let evidence = "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again later.";
    let want = vec![
        Some(Signal::Started { resumed: false }),
        None,
        None,
        None,
        Some(Signal::Progress),
        Some(Signal::Progress),
        Some(Signal::Progress),
        None,
        stop(window_reset_at_246(), evidence),
    ];
    assert_eq!(signals, want);
}

#[rstest]
#[case::not_json("rollout")]
#[case::no_type("{\"payload\":{}}")]
#[case::bad_time(
    "{\"timestamp\":\"soon\",\"type\":\"event_msg\",\"payload\":{\"type\":\"task_complete\"}}"
)]
#[case::error_without_time(
    "{\"type\":\"event_msg\",\"payload\":{\"type\":\"task_complete\",\"error\":{\"message\":\"x\",\"codex_error_info\":\"other\"}}}"
)]
fn rollout_garbage_is_an_error(#[case] line: &str) {
    assert!(parse_rollout_line(line, Tz::UTC).is_err(), "{line}");
}

#[rstest]
#[case(r#"{"type":"thread.started","thread_id":"019a8f3e-1d2c-7b40-9e1f-5a6b7c8d9e0f"}"#, ExecEvent::ThreadStarted { thread_id: TID.to_owned() })]
#[case(r#"{"type":"turn.started"}"#, ExecEvent::TurnStarted)]
#[case(
    r#"{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"hi"}}"#,
    ExecEvent::Item
)]
#[case(r#"{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"ls","status":"in_progress"}}"#, ExecEvent::Item)]
#[case(r#"{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":0,"output_tokens":5}}"#, ExecEvent::TurnCompleted)]
#[case(r#"{"type":"turn.failed","error":{"message":"You've hit your usage limit. Try again later."}}"#, ExecEvent::TurnFailed { message: "You've hit your usage limit. Try again later.".to_owned() })]
#[case(r#"{"type":"turn.failed"}"#, ExecEvent::TurnFailed { message: String::new() })]
#[case(r#"{"type":"error","message":"Reconnecting... 1/5"}"#, ExecEvent::Error { message: "Reconnecting... 1/5".to_owned() })]
#[case(r#"{"type":"thread.archived"}"#, ExecEvent::Other { kind: "thread.archived".to_owned() })]
fn exec_events(#[case] line: &str, #[case] want: ExecEvent) {
    assert_eq!(parse_exec_json_line(line).expect("parses"), want);
}

#[rstest]
#[case("not json")]
#[case("{}")]
#[case(r#"{"type":"thread.started"}"#)]
fn exec_garbage_is_an_error(#[case] line: &str) {
    assert!(parse_exec_json_line(line).is_err(), "{line}");
}

fn ctx() -> ClassifyContext {
    ClassifyContext::new(at(TS), Tz::UTC)
}

fn failed_turn(message: &str) -> ExecEvent {
    ExecEvent::TurnFailed {
        message: message.to_owned(),
    }
}

#[rstest]
#[case(ExecEvent::ThreadStarted { thread_id: TID.to_owned() }, Some(Signal::Started { resumed: false }))]
#[case(ExecEvent::TurnStarted, Some(Signal::Progress))]
#[case(ExecEvent::Item, Some(Signal::Progress))]
#[case(ExecEvent::TurnCompleted, stop(Completed, "turn.completed"))]
#[case(failed_turn("You've hit your usage limit. Try again later."), stop(UsageLimit { resets_at: None, window: UsageWindow::Unknown, precision: crate::model::Precision::Minute  }, "You've hit your usage limit. Try again later."))]
#[case(failed_turn(LIMIT_AT), stop(limit_at_246(), LIMIT_AT))]
#[case(failed_turn(RETRY_429), stop(RateLimit { retry_after_secs: None }, RETRY_429))]
#[case(failed_turn("stream disconnected before completion: error decoding response body"), stop(Transient { status: None }, "stream disconnected before completion: error decoding response body"))]
#[case(failed_turn(CONTEXT), stop(ContextExhausted, CONTEXT))]
#[case(failed_turn("something odd"), stop(Unknown, "something odd"))]
#[case(ExecEvent::Error { message: "Reconnecting... 1/5".to_owned() }, Some(Signal::Retrying { next: None }))]
#[case(ExecEvent::Error { message: "failed to load skill".to_owned() }, None)]
#[case(ExecEvent::Other { kind: "x".to_owned() }, None)]
fn exec_signals(#[case] event: ExecEvent, #[case] want: Option<Signal>) {
    assert_eq!(event.signal(&ctx()), want);
}

proptest! {
    #[test]
    fn codex_parsers_never_panic(text in "\\PC{0,200}", v in arb_json()) {
        let mut state = CodexRolloutState::new(Tz::UTC);
        let _ = state.feed(&text);
        let _ = state.feed(&v.to_string());
        let wrapped = json!({"timestamp": TS, "type": "event_msg", "payload": v});
        let _ = state.feed(&wrapped.to_string());
        if let Ok(e) = parse_exec_json_line(&v.to_string()) {
            let _ = e.signal(&ctx());
        }
        let _ = parse_exec_json_line(&text);
    }
}

mod real;

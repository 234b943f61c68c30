//! Claude Code transcript lines.

use std::path::Path;

use crate::tz::Tz;
use proptest::prelude::*;
use rstest::rstest;
use serde_json::{Value, json};

use super::*;
use crate::formats::test_support::{arb_json, at, stop};
use crate::model::{HumanCause::*, Signal, StopReason::*, UsageWindow};

const SID: &str = "0b5e6a4e-2f7b-4a55-9c1c-7c8f3d9f1e20";
const TS: &str = "2025-11-24T00:12:00.512Z";

fn human(cause: crate::model::HumanCause) -> StopReason {
    NeedsHuman { cause }
}

/// A transcript line of `kind` with the common fields, plus `extra`.
fn line(kind: &str, extra: Value) -> String {
    let mut v = json!({
        "parentUuid": "4f1c2d3e-0000-4000-8000-000000000001", "isSidechain": false, "userType": "external",
        "cwd": "/home/dev/proj", "sessionId": SID, "version": "2.1.197", "gitBranch": "main",
        "type": kind, "uuid": "4f1c2d3e-0000-4000-8000-000000000002", "timestamp": TS,
    });
    if let (Some(m), Value::Object(e)) = (v.as_object_mut(), extra) {
        m.extend(e);
    }
    v.to_string()
}

fn api_error(code: Option<&str>, status: Option<u16>, text: &str, details: Option<&str>) -> String {
    line(
        "assistant",
        json!({
            "message": {"id": "3c7a", "container": null, "model": "<synthetic>", "role": "assistant",
                "stop_reason": "stop_sequence", "stop_sequence": "", "type": "message",
                "content": [{"type": "text", "text": text}]},
            "error": code, "isApiErrorMessage": true, "apiErrorStatus": status, "errorDetails": details,
        }),
    )
}

fn assistant(model: &str, content: Value) -> String {
    line(
        "assistant",
        json!({"message": {"id": "msg_01", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": null}}),
    )
}

fn user(content: Value, extra: Value) -> String {
    let mut v: Value = serde_json::from_str(&line("user", extra)).expect("json");
    v["message"] = json!({"role": "user", "content": content});
    v.to_string()
}

const SESSION_LIMIT: &str = "You've hit your session limit · resets 12:57am (UTC)";
const UNREACHABLE: &str = "API Error: Unable to connect to API (ConnectionRefused)";

#[rstest]
#[case::session_limit(api_error(Some("rate_limit"), Some(429), SESSION_LIMIT, None), stop(UsageLimit { resets_at: Some(at("2025-11-24T00:57:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Minute  }, SESSION_LIMIT))]
#[case::weekly_limit(api_error(Some("rate_limit"), Some(429), "You've hit your weekly limit · resets Nov 27, 12:40am (Europe/Berlin)", None), stop(UsageLimit { resets_at: Some(at("2025-11-26T23:40:00Z")), window: UsageWindow::Weekly, precision: crate::model::Precision::Minute  }, "You've hit your weekly limit · resets Nov 27, 12:40am (Europe/Berlin)"))]
#[case::rate_limit(api_error(Some("rate_limit"), Some(429), "API Error: Request rejected (429) · this may be a temporary capacity issue", None), stop(RateLimit { retry_after_secs: None }, "API Error: Request rejected (429) · this may be a temporary capacity issue"))]
#[case::server_limiting(api_error(Some("rate_limit"), Some(429), "API Error: Server is temporarily limiting requests (not your usage limit) · Rate limited", None), stop(RateLimit { retry_after_secs: None }, "API Error: Server is temporarily limiting requests (not your usage limit) · Rate limited"))]
#[case::context(
    api_error(
        Some("invalid_request"),
        Some(400),
        "Prompt is too long",
        Some("prompt is too long: 210000 tokens > 200000 maximum")
    ),
    stop(ContextExhausted, "Prompt is too long")
)]
#[case::overloaded(api_error(Some("server_error"), Some(529), "API Error: 529 Overloaded", None), stop(Transient { status: Some(529) }, "API Error: 529 Overloaded"))]
#[case::unreachable(api_error(Some("server_error"), None, UNREACHABLE, None), stop(Transient { status: None }, UNREACHABLE))]
#[case::auth(
    api_error(
        Some("authentication_failed"),
        Some(401),
        "Invalid API key · Please run /login",
        None
    ),
    stop(human(Authentication), "Invalid API key · Please run /login")
)]
#[case::billing(
    api_error(Some("billing_error"), Some(400), "Credit balance is too low", None),
    stop(human(Billing), "Credit balance is too low")
)]
#[case::org(
    api_error(
        Some("oauth_org_not_allowed"),
        Some(403),
        "Your organization is not allowed",
        None
    ),
    stop(human(OrgNotAllowed), "Your organization is not allowed")
)]
#[case::model(
    api_error(
        Some("model_not_found"),
        Some(404),
        "There's an issue with the selected model",
        None
    ),
    stop(human(ModelNotFound), "There's an issue with the selected model")
)]
#[case::max_output(
    api_error(
        Some("max_output_tokens"),
        None,
        "API Error: Claude's response exceeded the 32000 output token maximum.",
        None
    ),
    stop(
        Unknown,
        "API Error: Claude's response exceeded the 32000 output token maximum."
    )
)]
#[case::old_epoch(api_error(None, None, "Claude AI usage limit reached|1763949600", None), stop(UsageLimit { resets_at: Some(at("2025-11-24T02:00:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Exact  }, "Claude AI usage limit reached|1763949600"))]
#[case::synthetic_unmarked(assistant("<synthetic>", json!([{"type": "text", "text": "Claude AI usage limit reached|1763949600"}])), stop(UsageLimit { resets_at: Some(at("2025-11-24T02:00:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Exact  }, "Claude AI usage limit reached|1763949600"))]
#[case::synthetic_no_response(assistant("<synthetic>", json!([{"type": "text", "text": "No response requested."}])), None)]
#[case::text(assistant("claude-sonnet-4-5-20250929", json!([{"type": "text", "text": "Looking at the parser now."}])), Some(Signal::Progress))]
#[case::prose_quoting_limit(assistant("claude-sonnet-4-5-20250929", json!([{"type": "text", "text": SESSION_LIMIT}])), Some(Signal::Progress))]
#[case::tool_use(assistant("claude-opus-4-1", json!([{"type": "tool_use", "id": "toolu_01", "name": "Read", "input": {}}])), Some(Signal::Progress))]
#[case::empty(assistant("claude-opus-4-1", json!([])), None)]
#[case::sidechain(line("assistant", json!({"isSidechain": true, "isApiErrorMessage": true, "error": "rate_limit", "message": {"model": "<synthetic>", "content": [{"type": "text", "text": SESSION_LIMIT}]}})), None)]
#[case::subagent(line("assistant", json!({"agentId": "a1b2c3", "message": {"model": "claude-opus-4-1", "content": "hi"}})), None)]
#[case::compact_summary(user(json!("This session is being continued from a previous conversation."), json!({"isCompactSummary": true})), Some(Signal::Progress))]
#[case::interrupted(user(json!([{"type": "text", "text": "[Request interrupted by user]"}]), json!({})), stop(UserExit, "[Request interrupted by user]"))]
#[case::interrupted_tool(user(json!("[Request interrupted by user for tool use]"), json!({})), stop(UserExit, "[Request interrupted by user for tool use]"))]
#[case::prompt(user(json!("refactor the parser"), json!({})), None)]
#[case::tool_result(user(json!([{"tool_use_id": "toolu_01", "type": "tool_result", "content": "ok"}]), json!({})), None)]
#[case::compact_boundary(line("system", json!({"subtype": "compact_boundary", "content": "Conversation compacted"})), Some(Signal::Progress))]
#[case::turn_duration(line("system", json!({"subtype": "turn_duration", "durationMs": 1200})), None)]
#[case::api_retry(line("system", json!({"subtype": "api_retry", "attempt": 1, "max_retries": 10, "retry_delay_ms": 4000, "error_status": 529})), Some(Signal::Retrying { next: Some(at("2025-11-24T00:12:04.512Z")) }))]
#[case::last_prompt(json!({"type": "last-prompt", "lastPrompt": "x", "sessionId": SID}).to_string(), None)]
#[case::snapshot(json!({"type": "file-history-snapshot", "messageId": "m", "snapshot": {}, "isSnapshotUpdate": false}).to_string(), None)]
#[case::queue(json!({"type": "queue-operation", "operation": "enqueue", "timestamp": TS, "sessionId": SID}).to_string(), None)]
#[case::attachment(line("attachment", json!({"attachment": {"type": "file"}})), None)]
fn transcript_lines(#[case] text: String, #[case] want: Option<Signal>) {
    let rec = parse_transcript_line(&text, Tz::UTC).expect("parses");
    assert_eq!(rec.signal, want, "{text}");
}

#[test]
fn transcript_lines_carry_session_cwd_and_time() {
    let rec = parse_transcript_line(
        &api_error(Some("rate_limit"), Some(429), SESSION_LIMIT, None),
        Tz::UTC,
    )
    .expect("parses");
    assert_eq!(rec.session_id.as_deref(), Some(SID));
    assert_eq!(rec.cwd.as_deref(), Some(Path::new("/home/dev/proj")));
    assert_eq!(rec.at, Some(at(TS)));
}

#[test]
fn bare_reset_times_are_in_the_agent_zone() {
    let text = api_error(
        Some("rate_limit"),
        Some(429),
        "You've hit your session limit · resets 3am",
        None,
    );
    let rec = parse_transcript_line(&text, "Europe/Berlin".parse().expect("zone")).expect("parses");
    let want = UsageLimit {
        resets_at: Some(at("2025-11-24T02:00:00Z")),
        window: UsageWindow::Session,
        precision: crate::model::Precision::Minute,
    };
    assert_eq!(
        rec.signal,
        stop(want, "You've hit your session limit · resets 3am")
    );
}

#[rstest]
#[case::not_json("not json at all")]
#[case::truncated("{\"type\":\"assistant\",\"mess")]
#[case::array("[1,2,3]")]
#[case::no_type("{\"sessionId\":\"x\"}")]
#[case::bad_timestamp("{\"type\":\"user\",\"timestamp\":\"yesterday\"}")]
#[case::error_without_time(
    "{\"type\":\"assistant\",\"isApiErrorMessage\":true,\"message\":{\"model\":\"<synthetic>\",\"content\":\"Prompt is too long\"}}"
)]
fn garbage_is_an_error(#[case] text: &str) {
    assert!(parse_transcript_line(text, Tz::UTC).is_err(), "{text}");
}

#[test]
fn a_real_session_reads_in_order() {
    let file = include_str!("../../../../tests/fixtures/formats/claude-session-limit.jsonl");
    let signals: Vec<Option<Signal>> = file
        .lines()
        .map(|l| {
            parse_transcript_line(l, Tz::UTC)
                .expect("fixture line")
                .signal
        })
        .collect();
    let limit = UsageLimit {
        resets_at: Some(at("2025-11-24T00:57:00Z")),
        window: UsageWindow::Session,
        precision: crate::model::Precision::Minute,
    };
    let want = vec![
        None,
        None,
        Some(Signal::Progress),
        Some(Signal::Progress),
        None,
        Some(Signal::Progress),
        Some(Signal::Progress),
        stop(limit, SESSION_LIMIT),
        None,
        None,
    ];
    assert_eq!(signals, want);
}
proptest! {
    #[test]
    fn transcript_parser_never_panics(text in "\\PC{0,200}", v in arb_json()) {
        let _ = parse_transcript_line(&text, Tz::UTC);
        let _ = parse_transcript_line(&v.to_string(), Tz::UTC);
    }
}

mod hooks;

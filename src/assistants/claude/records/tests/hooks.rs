//! Claude Code hook payloads, transcript paths and project directory names.

use std::path::Path;

use crate::tz::Tz;
use proptest::prelude::*;
use rstest::rstest;
use serde_json::{Value, json};

use super::super::*;
use crate::classify::ClassifyContext;
use crate::formats::test_support::{arb_json, at, stop};
use crate::model::{HumanCause::*, Signal, StopReason, StopReason::*, UsageWindow};

const SID: &str = "0b5e6a4e-2f7b-4a55-9c1c-7c8f3d9f1e20";
const SESSION_LIMIT: &str = "You've hit your session limit · resets 12:57am (UTC)";
const UNREACHABLE: &str = "API Error: Unable to connect to API (ConnectionRefused)";

fn human(cause: crate::model::HumanCause) -> StopReason {
    NeedsHuman { cause }
}

fn hook_ctx() -> ClassifyContext {
    ClassifyContext::new(at("2025-11-24T00:12:00Z"), Tz::UTC)
}

fn hook(event: &str, extra: Value) -> Value {
    let mut v = json!({
        "session_id": SID, "cwd": "/home/dev/proj", "hook_event_name": event,
        "transcript_path": format!("/home/dev/.claude/projects/-home-dev-proj/{SID}.jsonl"),
    });
    if let (Some(m), Value::Object(e)) = (v.as_object_mut(), extra) {
        m.extend(e);
    }
    v
}

#[rstest]
#[case::usage(hook("StopFailure", json!({"error": "rate_limit", "last_assistant_message": SESSION_LIMIT})), stop(UsageLimit { resets_at: Some(at("2025-11-24T00:57:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Minute  }, SESSION_LIMIT))]
#[case::rate_limit(hook("StopFailure", json!({"error": "rate_limit", "last_assistant_message": "API Error: Request rejected (429)"})), stop(RateLimit { retry_after_secs: None }, "API Error: Request rejected (429)"))]
#[case::context(hook("StopFailure", json!({"error": "invalid_request", "last_assistant_message": "Prompt is too long", "error_details": "prompt is too long: 210000 tokens > 200000 maximum"})), stop(ContextExhausted, "Prompt is too long"))]
#[case::context_details_only(hook("StopFailure", json!({"error": "invalid_request", "last_assistant_message": "API Error: 400", "error_details": {"message": "prompt is too long: 210000 tokens > 200000 maximum"}})), stop(ContextExhausted, "API Error: 400"))]
#[case::overloaded(hook("StopFailure", json!({"error": "overloaded", "last_assistant_message": "API Error: 529 Overloaded"})), stop(Transient { status: Some(529) }, "API Error: 529 Overloaded"))]
#[case::server_error(hook("StopFailure", json!({"error": "server_error", "last_assistant_message": UNREACHABLE})), stop(Transient { status: None }, UNREACHABLE))]
#[case::auth(hook("StopFailure", json!({"error": "authentication_failed", "last_assistant_message": "Invalid API key · Please run /login"})), stop(human(Authentication), "Invalid API key · Please run /login"))]
#[case::billing(hook("StopFailure", json!({"error": "billing_error", "last_assistant_message": "Credit balance is too low"})), stop(human(Billing), "Credit balance is too low"))]
#[case::org(hook("StopFailure", json!({"error": "oauth_org_not_allowed"})), stop(human(OrgNotAllowed), "oauth_org_not_allowed"))]
#[case::model(hook("StopFailure", json!({"error": "model_not_found", "last_assistant_message": "There's an issue with the selected model"})), stop(human(ModelNotFound), "There's an issue with the selected model"))]
#[case::max_output(hook("StopFailure", json!({"error": "max_output_tokens"})), stop(Unknown, "max_output_tokens"))]
#[case::unknown(hook("StopFailure", json!({"error": "unknown"})), stop(Unknown, "unknown"))]
#[case::subagent(hook("StopFailure", json!({"error": "rate_limit", "agent_id": "a1", "last_assistant_message": SESSION_LIMIT})), None)]
#[case::stop(hook("Stop", json!({"stop_hook_active": false, "last_assistant_message": "Done."})), stop(Completed, "Done."))]
#[case::stop_bare(hook("Stop", json!({})), stop(Completed, "Stop"))]
#[case::exit(hook("SessionEnd", json!({"reason": "prompt_input_exit"})), stop(UserExit, "SessionEnd: prompt_input_exit"))]
#[case::logout(hook("SessionEnd", json!({"reason": "logout"})), stop(UserExit, "SessionEnd: logout"))]
#[case::clear(hook("SessionEnd", json!({"reason": "clear"})), stop(UserExit, "SessionEnd: clear"))]
#[case::headless_end(hook("SessionEnd", json!({"reason": "other"})), None)]
#[case::end_no_reason(hook("SessionEnd", json!({})), None)]
#[case::resume(hook("SessionStart", json!({"source": "resume"})), Some(Signal::Started { resumed: true }))]
#[case::startup(hook("SessionStart", json!({"source": "startup"})), Some(Signal::Started { resumed: false }))]
#[case::after_compact(hook("SessionStart", json!({"source": "compact"})), Some(Signal::Progress))]
#[case::prompt(hook("UserPromptSubmit", json!({"prompt": "continue"})), Some(Signal::Progress))]
#[case::tool(hook("PreToolUse", json!({"tool_name": "Bash"})), Some(Signal::Progress))]
#[case::notification(hook("Notification", json!({"message": "Claude is waiting for your input"})), None)]
#[case::subagent_stop(hook("SubagentStop", json!({})), None)]
#[case::no_event(json!({"session_id": SID}), None)]
fn hook_payloads(#[case] v: Value, #[case] want: Option<Signal>) {
    let rec = parse_hook_payload(&v, &hook_ctx());
    assert_eq!(rec.signal, want, "{v}");
    assert_eq!(rec.session_id.as_deref(), Some(SID));
}

#[test]
fn hook_payloads_name_the_transcript() {
    let rec = parse_hook_payload(&hook("Stop", json!({})), &hook_ctx());
    let transcript = rec.transcript.expect("transcript");
    assert_eq!(
        transcript_path_session_id(&transcript).as_deref(),
        Some(SID)
    );
    assert_eq!(rec.cwd.as_deref(), Some(Path::new("/home/dev/proj")));
}

#[rstest]
#[case(
    "/home/u/.claude/projects/-home-u-proj/0b5e6a4e-2f7b-4a55-9c1c-7c8f3d9f1e20.jsonl",
    Some(SID)
)]
#[case("0b5e6a4e-2f7b-4a55-9c1c-7c8f3d9f1e20.jsonl", Some(SID))]
#[case(
    "/home/u/.claude/projects/-home-u-proj/0b5e6a4e-2f7b-4a55-9c1c-7c8f3d9f1e20/subagents/agent-a1b2c3.jsonl",
    None
)]
#[case("/home/u/notes.txt", None)]
#[case("/", None)]
fn session_ids_from_paths(#[case] path: &str, #[case] want: Option<&str>) {
    assert_eq!(transcript_path_session_id(Path::new(path)).as_deref(), want);
}

#[rstest]
#[case("/home/dev/proj", "-home-dev-proj")]
#[case("/home/user/my_project", "-home-user-my-project")]
#[case("/Users/me/.agents", "-Users-me--agents")]
#[case("/home/u/repo.v2", "-home-u-repo-v2")]
#[case("/home/u/Open Source/checkmate", "-home-u-Open-Source-checkmate")]
#[case("/home/u/文档/x", "-home-u----x")]
#[case("/home/u/😀", "-home-u---")]
#[case("/home/u/café", "-home-u-caf-")]
#[case("C:\\Users\\alice\\proj", "C--Users-alice-proj")]
fn project_dir_names(#[case] cwd: &str, #[case] want: &str) {
    assert_eq!(project_dir_name(Path::new(cwd)), want);
    assert!(project_dir_matches(want, Path::new(cwd)));
}

#[test]
fn long_project_dirs_match_by_prefix() {
    let cwd = format!("/{}", "abcdefghij".repeat(25));
    let name = project_dir_name(Path::new(&cwd));
    let truncated = format!("{}-1x2y3z", &name[..200]);
    assert!(project_dir_matches(&truncated, Path::new(&cwd)));
    assert!(!project_dir_matches(&name, Path::new(&cwd)));
    assert!(!project_dir_matches(&name[..200], Path::new(&cwd)));
    assert!(!project_dir_matches("-home-dev-proj", Path::new(&cwd)));
}

proptest! {
    #[test]
    fn hook_parser_never_panics(v in arb_json()) {
        let _ = parse_hook_payload(&v, &hook_ctx());
    }

    #[test]
    fn project_dir_names_are_dashes_and_alphanumerics(cwd in "\\PC{0,80}") {
        let name = project_dir_name(Path::new(&cwd));
        prop_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        prop_assert_eq!(name.len(), cwd.encode_utf16().count());
    }
}

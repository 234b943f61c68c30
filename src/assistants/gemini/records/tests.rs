//! The parser on chat lines the real Gemini CLI 0.61.0 wrote (tests/fixtures/real/gemini).

use super::*;
use crate::model::StopReason;
use std::path::{Path, PathBuf};

fn fixture_text(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/real/gemini/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture(name: &str) -> Vec<ParsedRecord> {
    fixture_text(name)
        .lines()
        .map(|l| parse_chat_line(l, Tz::UTC).unwrap())
        .collect()
}

fn signals(records: &[ParsedRecord]) -> Vec<Signal> {
    records.iter().filter_map(|r| r.signal.clone()).collect()
}

#[test]
fn a_successful_turn_makes_progress_then_completes() {
    let records = fixture("success.chat.jsonl");
    let session = records[0].session_id.as_deref().unwrap_or_default();
    assert_eq!(
        session.len(),
        36,
        "the header names the session: {session:?}"
    );
    let s = signals(&records);
    assert_eq!(s.len(), 1, "the prompt says nothing yet: {s:?}");
    assert!(matches!(
        &s[0],
        Signal::Stopped {
            reason: StopReason::Completed,
            ..
        }
    ));
    assert!(records.iter().skip(1).all(|r| r.session_id.is_none()));
}

#[test]
fn the_interactive_client_records_the_quota_it_showed() {
    let s = signals(&fixture("interactive-daily-quota.chat.jsonl"));
    assert_eq!(s.len(), 1, "{s:?}");
    let Signal::Stopped { reason, evidence } = s.last().unwrap() else {
        panic!("{s:?}");
    };
    assert!(
        evidence.contains("You have exhausted your daily quota on this model."),
        "{evidence}"
    );
    assert!(
        matches!(reason, StopReason::UsageLimit { .. }),
        "{reason:?}"
    );
}

#[test]
fn a_headless_failure_leaves_only_a_rollback_and_its_prompt_is_found_again() {
    let text = fixture_text("headless-quota-rolled-back.chat.jsonl");
    let s = signals(&fixture("headless-quota-rolled-back.chat.jsonl"));
    assert!(
        !s.iter().any(
            |x| matches!(x, Signal::Stopped { reason, .. } if *reason != StopReason::Completed)
        ),
        "no reason is recorded: {s:?}"
    );
    assert_eq!(rolled_back_prompt(&text).as_deref(), Some("second prompt"));
    assert_eq!(
        rolled_back_prompt(&fixture_text("success.chat.jsonl")),
        None
    );
    assert_eq!(
        rolled_back_prompt(&fixture_text("interactive-daily-quota.chat.jsonl")).as_deref(),
        Some("fix the bug please")
    );
}

#[test]
fn chat_paths_and_project_roots() {
    assert!(is_chat_path(Path::new(
        "/h/.gemini/tmp/proj/chats/session-2026-11-30T21-26-6480a4af.jsonl"
    )));
    assert!(!is_chat_path(Path::new("/h/.gemini/tmp/proj/logs.json")));
    assert!(!is_chat_path(Path::new(
        "/h/.gemini/tmp/proj/chats/notes.jsonl"
    )));
    assert_eq!(
        project_root("/tmp/g11/proj\n"),
        Some(PathBuf::from("/tmp/g11/proj"))
    );
    assert_eq!(project_root(""), None);
    let first = fixture_text("success.chat.jsonl");
    let header = header_session(first.lines().next().unwrap()).unwrap();
    assert_eq!(Some(header), fixture("success.chat.jsonl")[0].session_id);
}

#[test]
fn garbage_is_an_error_and_updates_say_nothing() {
    assert!(parse_chat_line("not json", Tz::UTC).is_err());
    assert_eq!(
        parse_chat_line(
            r#"{"$set":{"lastUpdated":"2026-11-30T21:26:43.619Z"}}"#,
            Tz::UTC
        )
        .unwrap()
        .signal,
        None
    );
}

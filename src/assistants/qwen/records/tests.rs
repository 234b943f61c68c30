//! The parser on chat lines the real Qwen Code 0.24.4 wrote (tests/fixtures/real/qwen).

use std::path::Path;

use super::*;
use crate::model::{StopReason, UsageWindow};

fn fixture(name: &str) -> Vec<ParsedRecord> {
    let path = format!(
        "{}/tests/fixtures/real/qwen/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|l| parse_chat_line(l, Tz::UTC).unwrap())
        .collect()
}

fn signals(records: &[ParsedRecord]) -> Vec<Signal> {
    records.iter().filter_map(|r| r.signal.clone()).collect()
}

fn reason_of(s: &Signal) -> Option<&StopReason> {
    match s {
        Signal::Stopped { reason, .. } => Some(reason),
        _ => None,
    }
}

#[test]
fn a_successful_turn_makes_progress_then_completes() {
    let records = fixture("success.chat.jsonl");
    assert!(
        records
            .iter()
            .all(|r| r.session_id.is_some() && r.cwd.is_some() && r.at.is_some())
    );
    let s = signals(&records);
    assert_eq!(
        s.len(),
        2,
        "the memory extractor's request says nothing: {s:?}"
    );
    assert_eq!(s[0], Signal::Progress);
    assert_eq!(reason_of(&s[1]), Some(&StopReason::Completed));
}

#[test]
fn an_exhausted_quota_stops_with_its_reset_and_the_resume_completes() {
    let records = fixture("quota-exhausted.chat.jsonl");
    let s = signals(&records);
    let Signal::Stopped { reason, evidence } = &s[0] else {
        panic!("{s:?}");
    };
    assert!(
        evidence.contains("Your quota will reset after 1m5s"),
        "{evidence}"
    );
    let at = records[2].at.unwrap();
    match reason {
        StopReason::UsageLimit {
            resets_at, window, ..
        } => {
            assert_eq!(*resets_at, Some(at + chrono::TimeDelta::seconds(65)));
            assert_eq!(*window, UsageWindow::Session);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(reason_of(s.last().unwrap()), Some(&StopReason::Completed));
}

#[test]
fn a_rate_limit_or_overload_it_retries_itself_is_left_alone() {
    for name in ["rate-limit-429.chat.jsonl", "overloaded-503.chat.jsonl"] {
        let s = signals(&fixture(name));
        assert_eq!(s[0], Signal::Retrying { next: None }, "{name}");
        assert_eq!(s[1], Signal::Progress, "{name}");
        assert_eq!(reason_of(&s[2]), Some(&StopReason::Completed), "{name}");
    }
}

#[test]
fn an_exhausted_context_stops() {
    let s = signals(&fixture("prompt-too-long.chat.jsonl"));
    assert_eq!(s.len(), 1);
    assert_eq!(reason_of(&s[0]), Some(&StopReason::ContextExhausted));
}

#[test]
fn a_turn_calling_tools_goes_on() {
    let line = r#"{"uuid":"u","sessionId":"s","timestamp":"2026-11-30T19:48:25.738Z","type":"assistant","cwd":"/w","message":{"role":"model","parts":[{"functionCall":{"name":"read_file","args":{}}}]}}"#;
    assert_eq!(
        parse_chat_line(line, Tz::UTC).unwrap().signal,
        Some(Signal::Progress)
    );
}

#[test]
fn garbage_is_an_error() {
    assert!(parse_chat_line("not json", Tz::UTC).is_err());
    assert!(parse_chat_line(r#"{"sessionId":"s"}"#, Tz::UTC).is_err());
}

#[test]
fn the_session_is_the_chat_file_name() {
    let p = Path::new("/h/.qwen/projects/-tmp-work/chats/f65cebaf-2d4c.jsonl");
    assert_eq!(chat_path_session_id(p).as_deref(), Some("f65cebaf-2d4c"));
    assert_eq!(
        chat_path_session_id(Path::new("/h/.qwen/projects/-tmp-work/f.jsonl")),
        None
    );
    assert_eq!(
        chat_path_session_id(Path::new("/h/.qwen/projects/x/chats/f.json")),
        None
    );
}

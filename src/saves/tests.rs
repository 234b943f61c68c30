use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::model::{Assistant, SessionKey};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn ev(kind: EventType, assistant: Assistant, session: &str, ts: &str) -> AuditEvent {
    AuditEvent::new(kind)
        .at(at(ts))
        .session_key(&SessionKey::new(assistant, session))
}

fn book(events: &[AuditEvent]) -> SavesBook {
    let mut b = SavesBook::new();
    for e in events {
        b.observe(e);
    }
    b
}

fn row<'a>(rows: &'a [TallyRow], key: &str) -> &'a Tally {
    &rows
        .iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no row {key}: {rows:?}"))
        .tally
}

#[test]
fn a_save_counts_from_resume_start_to_the_next_stop() {
    #[allow(non_upper_case_globals)]
    const Claude: Assistant = crate::assistants::claude::ASSISTANT;
    let b = book(&[
        ev(EventType::StopDetected, Claude, "a", "2026-11-30T10:00:00Z"),
        ev(
            EventType::ResumeStarted,
            Claude,
            "a",
            "2026-11-30T11:00:00Z",
        ),
        ev(
            EventType::ResumeCompleted,
            Claude,
            "a",
            "2026-11-30T11:00:30Z",
        ),
        ev(EventType::StopDetected, Claude, "a", "2026-11-30T13:00:00Z"),
    ]);
    let r = b.report(at("2026-11-30T20:00:00Z"));
    assert_eq!(
        r.total,
        Tally {
            stops: 2,
            saves: 1,
            recovered_secs: 2 * 3600
        }
    );
    assert_eq!(row(&r.by_assistant, "claude"), &r.total);
    assert_eq!(row(&r.by_day, "2026-11-30"), &r.total);
}

#[test]
fn a_running_save_counts_until_now_and_at_most_a_day() {
    #[allow(non_upper_case_globals)]
    const Codex: Assistant = crate::assistants::codex::ASSISTANT;
    let b = book(&[
        ev(EventType::StopDetected, Codex, "c", "2026-11-28T09:00:00Z"),
        ev(EventType::ResumeStarted, Codex, "c", "2026-11-28T10:00:00Z"),
        ev(
            EventType::ResumeCompleted,
            Codex,
            "c",
            "2026-11-28T10:01:00Z",
        ),
    ]);
    assert_eq!(
        b.report(at("2026-11-28T10:30:00Z")).total.recovered_secs,
        1800
    );
    assert_eq!(
        b.report(at("2026-12-05T00:00:00Z")).total.recovered_secs,
        MAX_SAVE.num_seconds() as u64
    );
}

#[test]
fn failed_resumes_recover_nothing_and_daemon_stop_closes_saves() {
    #[allow(non_upper_case_globals)]
    const Claude: Assistant = crate::assistants::claude::ASSISTANT;
    #[allow(non_upper_case_globals)]
    const Opencode: Assistant = crate::assistants::opencode::ASSISTANT;
    let b = book(&[
        ev(EventType::StopDetected, Claude, "a", "2026-11-30T10:00:00Z"),
        ev(
            EventType::ResumeStarted,
            Claude,
            "a",
            "2026-11-30T10:10:00Z",
        ),
        ev(EventType::ResumeFailed, Claude, "a", "2026-11-30T10:15:00Z"),
        ev(
            EventType::SessionFailed,
            Claude,
            "a",
            "2026-11-30T10:16:00Z",
        ),
        ev(
            EventType::StopDetected,
            Opencode,
            "o",
            "2026-11-30T10:00:00Z",
        ),
        ev(
            EventType::ResumeStarted,
            Opencode,
            "o",
            "2026-11-30T10:00:00Z",
        ),
        ev(
            EventType::ResumeCompleted,
            Opencode,
            "o",
            "2026-11-30T10:00:05Z",
        ),
        AuditEvent::new(EventType::DaemonStopped).at(at("2026-11-30T10:20:00Z")),
    ]);
    let r = b.report(at("2026-11-30T23:00:00Z"));
    assert_eq!(
        row(&r.by_assistant, "claude"),
        &Tally {
            stops: 1,
            saves: 0,
            recovered_secs: 0
        }
    );
    assert_eq!(
        row(&r.by_assistant, "opencode"),
        &Tally {
            stops: 1,
            saves: 1,
            recovered_secs: 20 * 60
        }
    );
}

#[test]
fn a_new_session_save_counts_from_its_creation_and_days_are_separate() {
    #[allow(non_upper_case_globals)]
    const Claude: Assistant = crate::assistants::claude::ASSISTANT;
    let created = ev(
        EventType::SessionCreated,
        Claude,
        "new",
        "2026-11-29T23:00:00Z",
    )
    .action("new_session");
    let b = book(&[
        ev(
            EventType::StopDetected,
            Claude,
            "old",
            "2026-11-29T22:50:00Z",
        ),
        ev(
            EventType::ResumeStarted,
            Claude,
            "old",
            "2026-11-29T22:59:00Z",
        ),
        created,
        ev(
            EventType::SessionDone,
            Claude,
            "old",
            "2026-11-29T23:00:00Z",
        ),
        ev(
            EventType::ResumeCompleted,
            Claude,
            "new",
            "2026-11-29T23:05:00Z",
        ),
        ev(
            EventType::SessionDone,
            Claude,
            "new",
            "2026-11-30T01:00:00Z",
        ),
        ev(EventType::StopDetected, Claude, "x", "2026-11-30T02:00:00Z"),
    ]);
    let r = b.report(at("2026-11-30T03:00:00Z"));
    assert_eq!(
        row(&r.by_day, "2026-11-29"),
        &Tally {
            stops: 1,
            saves: 1,
            recovered_secs: 2 * 3600
        },
        "the save counts on the day its resume started"
    );
    assert_eq!(row(&r.by_day, "2026-11-30").stops, 1);
    assert_eq!(r.by_day[0].key, "2026-11-29", "oldest first");
}

#[test]
fn only_recent_days_are_reported() {
    let start = at("2026-01-01T12:00:00Z");
    let events: Vec<AuditEvent> = (0..30)
        .map(|d| {
            AuditEvent::new(EventType::StopDetected)
                .at(start + Duration::days(d))
                .assistant(crate::assistants::claude::ASSISTANT)
                .session("s")
        })
        .collect();
    let r = book(&events).report(start + Duration::days(31));
    assert_eq!(r.by_day.len(), REPORT_DAYS);
    assert_eq!(r.by_day.last().unwrap().key, "2026-01-30");
    assert_eq!(r.total.stops, 30);
}

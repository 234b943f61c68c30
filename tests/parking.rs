//! Parking quiet sessions, end to end with the real daemon and the real Claude Code CLI against the fake
//! Anthropic API: a session quiet for `[daemon] park_after_secs` leaves the daemon's memory for a file on
//! disk, is still listed by `sessions` (also after a restart), and when it writes again it is brought back
//! and its stop is classified and resumed as any other.

mod support;

use std::time::Duration;

use support::clients;
use support::fake_provider::{FakeProvider, Reply};
use support::home::{Home, session_of, wait_until};
use support::process::run_with_timeout;

const RUN: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(90);

/// Every listing of session `id` in `sessions --json`.
fn listings(home: &Home, id: &str) -> Vec<serde_json::Value> {
    let all: serde_json::Value = serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    all["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["key"]["id"] == id)
        .cloned()
        .collect()
}

/// The session `id` as `sessions --json` lists it (Null if it is not listed).
fn listed(home: &Home, id: &str) -> serde_json::Value {
    listings(home, id).pop().unwrap_or_default()
}

fn parked_files(home: &Home) -> usize {
    let dir = home.paths().state_dir.join("parked");
    std::fs::read_dir(dir).map_or(0, |d| d.filter(|e| e.is_ok()).count())
}

#[test]
fn a_parked_session_is_listed_from_disk_and_resumed_when_it_stops_again() {
    let fake = FakeProvider::start();
    let mut claude = clients::claude(&fake.url()).build();
    let home = Home::started_with(
        claude.sandbox.env(),
        &format!(
            "[daemon]\npark_after_secs = 1\n[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\n\
             verify_timeout_secs = 60\n[claude]\nbinary = \"{}\"\n",
            clients::claude_bin().display()
        ),
    );
    claude
        .sandbox
        .set_env("PALINGENESIS_HOME", &home.palingenesis_home());

    let first = run_with_timeout(claude.print("write the first chapter"), RUN);
    assert!(first.success(), "{}", first.report());
    let transcripts = claude.transcripts();
    assert_eq!(transcripts.len(), 1, "{transcripts:?}");
    let session = transcripts[0]
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();

    // Quiet for a second: parked on disk, still listed, with what the daemon knew about it.
    wait_until(WAIT, || listed(&home, &session)["parked"] == true);
    assert_eq!(parked_files(&home), 1);
    let view = listed(&home, &session);
    assert!(view["locator"]["cwd"].is_string(), "{view}");

    // A restart keeps it parked and listed.
    home.ok(&["daemon", "restart"]);
    assert_eq!(listed(&home, &session)["parked"], true);

    // New activity brings it back: the stop is classified and the session resumed, its history intact.
    fake.push(Reply::RateLimited {
        retry_after: Duration::from_secs(1),
    });
    let second = run_with_timeout(
        claude.resume_print(&session, "write the second chapter"),
        RUN,
    );
    assert!(!second.success(), "the scripted 429 stops the turn");
    let done = home.wait_event("ResumeCompleted");
    assert_eq!(session_of(&done), session);
    assert_eq!(
        listings(&home, &session).len(),
        1,
        "brought back, not tracked twice"
    );
    let stop = &home.events_of("StopDetected")[0];
    assert_eq!(
        (stop["reason"].as_str(), session_of(stop)),
        (Some("rate_limit"), session.clone())
    );
    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 3, "{}", fake.describe());
    assert_eq!(reqs[2].last_user_text().as_deref(), Some("continue"));
    assert!(reqs[2].raw_body.contains("write the first chapter"));
    // Quiet again, it is parked again (its brought-back copy's file was replaced, not duplicated).
    wait_until(WAIT, || listed(&home, &session)["parked"] == true);
    assert_eq!(parked_files(&home), 1);
    assert_eq!(home.events_of("ResumeStarted").len(), 1);
}

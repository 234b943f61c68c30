//! The resume engine end to end on the real Gemini CLI: its `gemini` entry point against the fake provider's
//! Gemini API, the real daemon with the Gemini sandbox's environment (HOME, GEMINI_API_KEY,
//! GOOGLE_GEMINI_BASE_URL), assertions on what the provider received and on the audit trail.
//!
//! Gemini CLI records why a turn failed only when it shows the failure in its terminal (a headless run rolls
//! the turn back and records nothing), so the stop is made in an interactive client in a tmux pane.

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::clients::{self, Gemini};
use support::fake_provider::{FakeProvider, Reply, Scripted, gemini_error};
use support::home::{Home, alive, session_of, ts, wait_until};
use support::process::run_with_timeout;
use support::tmux::Tmux;

const RUN: Duration = Duration::from_secs(90);
const WAIT: Duration = Duration::from_secs(90);

/// Quick, deterministic resume settings for tests.
const FAST: &str = "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nreset_margin_secs = 2\nverify_timeout_secs = 90\n";

/// A daemon whose environment is the Gemini sandbox's, as for a real user.
fn daemon_for(gemini: &Gemini) -> Home {
    Home::started_with(
        gemini.sandbox.env(),
        &format!(
            "{FAST}\n[gemini]\nbinary = \"{}\"\n",
            clients::gemini_bin().display()
        ),
    )
}

/// The quota Gemini CLI gives up on at once ("exhausted your capacity" without a retry delay).
fn capacity_exhausted(reset_after_secs: u64) -> Reply {
    let message = format!(
        "You have exhausted your capacity on this model. Your quota will reset after {reset_after_secs}s."
    );
    Reply::status(
        429,
        &[],
        gemini_error(429, "RESOURCE_EXHAUSTED", &message, json!([])),
    )
}

/// A first, finished turn in a session whose id the test chose.
fn first_turn(gemini: &Gemini, prompt: &str) -> String {
    let session = uuid::Uuid::new_v4().to_string();
    let run = run_with_timeout(gemini.run_as(&session, prompt), RUN);
    assert!(run.success(), "{}", run.report());
    session
}

#[test]
fn a_quota_stop_is_resumed_headless_with_its_history_after_the_reset() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text("chapter written"));
    fake.push(
        Scripted::once(capacity_exhausted(15)).when_body_contains("write the second chapter"),
    );
    let gemini = clients::gemini(&fake.url()).build();
    let home = daemon_for(&gemini);
    let session = first_turn(&gemini, "write the first chapter");
    home.wait_event("SessionDone");

    // The user goes on interactively and hits the quota; Gemini CLI offers "Keep trying" / "Stop".
    let tmux = Tmux::start(
        gemini.sandbox.dir.path(),
        "gemini",
        &gemini.interactive_line(&session),
    );
    tmux.wait_for_text("Type your message", RUN);
    clients::gemini::submit(&tmux, "write the second chapter", RUN);
    tmux.wait_for_text("Keep trying", RUN);
    tmux.key("2");
    tmux.wait_for_text("exhausted your capacity", RUN);
    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "usage_limit", "{stop}");
    assert_eq!(session_of(&stop), session);
    // The user quits the client before the reset (closing the terminal is not enough: Gemini CLI outlives a
    // SIGHUP there).
    clients::gemini::submit(&tmux, "/quit", RUN);
    let client = tmux.pane_pid.unwrap() as u32;
    wait_until(RUN, || !alive(client));
    drop(tmux);

    let scheduled = home.wait_event("ResumeScheduled");
    assert_eq!(scheduled["action"], "resume_same_session");
    let at: DateTime<Utc> = scheduled["metadata"]["at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let started = home.wait_events("ResumeStarted", 1, WAIT).remove(0);
    assert!(
        ts(&started) >= at,
        "resumed at {} before {at}",
        ts(&started)
    );
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), session);

    let resume = fake
        .model_requests()
        .into_iter()
        .rfind(|r| r.wants_stream() && r.body_contains("continue"))
        .unwrap_or_else(|| {
            panic!(
                "no resume turn: {}\n{:?}\n{}",
                fake.describe(),
                home.events(),
                home.log()
            )
        });
    assert!(
        resume.body_contains("write the first chapter") && resume.body_contains("chapter written"),
        "the resume sends the earlier conversation: {}",
        resume.raw_body
    );
    assert!(
        resume.body_contains("write the second chapter\\n\\ncontinue"),
        "the prompt the failure rolled back is sent again, then the resume prompt: {}",
        resume.raw_body
    );
    assert_eq!(home.events_of("ResumeStarted").len(), 1);

    let sessions: Value = serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    let listed = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.to_string().contains(&session))
        .unwrap_or_else(|| panic!("`sessions` lists the Gemini session: {sessions}"));
    assert!(listed.to_string().contains("gemini"), "{listed}");
}

#[test]
fn completed_turns_are_left_alone() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text("hi"));
    let gemini = clients::gemini(&fake.url()).build();
    let home = daemon_for(&gemini);

    let session = first_turn(&gemini, "say hi");
    let done = home.wait_event("SessionDone");
    assert_eq!(session_of(&done), session);
    home.ok(&["status"]);
    assert!(home.events_of("StopDetected").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
    assert!(home.ok(&["sessions"]).contains(&session[..8]));
}

#[test]
fn a_rate_limit_gemini_retries_by_itself_is_left_alone() {
    let fake = FakeProvider::start();
    fake.push(Reply::rate_limited(Duration::from_secs(1)));
    fake.set_default(Reply::text("done after a retry"));
    let gemini = clients::gemini(&fake.url()).max_attempts(2).build();
    let home = daemon_for(&gemini);

    let session = uuid::Uuid::new_v4().to_string();
    let run = run_with_timeout(gemini.run_as(&session, "one more feature"), RUN);
    assert!(
        run.success(),
        "Gemini retried the 429 itself:\n{}",
        run.report()
    );
    assert!(run.stderr.contains("Attempt 1 failed"), "{}", run.report());
    let done = home.wait_event("SessionDone");
    assert_eq!(session_of(&done), session);
    home.ok(&["status"]);
    assert!(home.events_of("StopDetected").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
    assert_eq!(gemini.chats().len(), 1, "one chat");
}

//! The resume engine end to end on the real Qwen Code: its `qwen` entry point against the fake provider's
//! chat completions, the real daemon with the Qwen sandbox's environment (HOME, QWEN_HOME, the OpenAI
//! variables), assertions on what the provider received and on the audit trail.

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use support::clients::{self, Qwen};
use support::fake_provider::{FakeProvider, Reply};
use support::home::{Home, session_of, ts};
use support::process::run_with_timeout;

const RUN: Duration = Duration::from_secs(90);
const WAIT: Duration = Duration::from_secs(90);

/// Quick, deterministic resume settings for tests.
const FAST: &str = "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nreset_margin_secs = 2\nverify_timeout_secs = 90\n";

/// A daemon whose environment is the Qwen sandbox's, as for a real user.
fn daemon_for(qwen: &Qwen) -> Home {
    Home::started_with(
        qwen.sandbox.env(),
        &format!(
            "{FAST}\n[qwen]\nbinary = \"{}\"\n",
            clients::qwen_bin().display()
        ),
    )
}

/// The session id `qwen -o json` reported.
fn session_from(run: &support::ClientRun) -> String {
    clients::qwen::session_in_output(&run.stdout)
        .unwrap_or_else(|| panic!("no session_id:\n{}", run.report()))
}

#[test]
fn an_exhausted_quota_is_resumed_headless_with_its_history_after_the_reset() {
    let fake = FakeProvider::start();
    fake.push(clients::qwen::quota_exhausted("6s"));
    fake.set_default(Reply::text("chapter written"));
    let qwen = clients::qwen(&fake.v1_url()).build();
    let home = daemon_for(&qwen);

    let run = run_with_timeout(qwen.run("write the first chapter"), RUN);
    assert!(
        !run.success(),
        "the quota stops the turn:\n{}",
        run.report()
    );
    let session = session_from(&run);

    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "usage_limit", "{stop}");
    assert_eq!(session_of(&stop), session);
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

    let reqs = fake.model_requests();
    assert!(reqs.len() >= 2, "{}", fake.describe());
    assert!(reqs[0].body_contains("write the first chapter"));
    // After a failed first turn the kept prompt and "continue" arrive as parts of one user message.
    assert_eq!(reqs[1].last_user_text().as_deref(), Some("continue"));
    assert!(
        reqs[1].body_contains("write the first chapter"),
        "the resume sends the earlier conversation: {}",
        fake.describe()
    );
    assert_eq!(qwen.chats().len(), 1, "the same chat continues");
    assert_eq!(home.events_of("ResumeStarted").len(), 1);

    let sessions: Value = serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    let listed = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.to_string().contains(&session))
        .unwrap_or_else(|| panic!("`sessions` lists the Qwen session: {sessions}"));
    assert!(listed.to_string().contains("qwen"), "{listed}");
}

#[test]
fn completed_turns_are_left_alone() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text("hi"));
    let qwen = clients::qwen(&fake.v1_url()).build();
    let home = daemon_for(&qwen);

    let run = run_with_timeout(qwen.run("say hi"), RUN);
    assert!(run.success(), "{}", run.report());
    let session = session_from(&run);
    let done = home.wait_event("SessionDone");
    assert_eq!(session_of(&done), session);
    home.ok(&["status"]);
    assert!(home.events_of("StopDetected").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
    assert!(home.ok(&["sessions"]).contains(&session[..8]));
}

#[test]
fn a_rate_limit_qwen_retries_by_itself_is_left_alone() {
    let fake = FakeProvider::start();
    fake.push(Reply::rate_limited(Duration::from_secs(1)));
    fake.set_default(Reply::text("done after a retry"));
    let qwen = clients::qwen(&fake.v1_url()).build();
    let home = daemon_for(&qwen);

    let run = run_with_timeout(qwen.run("one more feature"), RUN);
    assert!(
        run.success(),
        "Qwen retried the 429 itself:\n{}",
        run.report()
    );
    let session = session_from(&run);
    assert!(
        clients::read_jsonl(&qwen.chat_for(&session))
            .iter()
            .any(|l| l["systemPayload"]["uiEvent"]["event.name"] == "qwen-code.api_error"),
        "the chat records the failed attempt"
    );
    let done = home.wait_event("SessionDone");
    assert_eq!(session_of(&done), session);
    home.ok(&["status"]);
    assert!(home.events_of("StopDetected").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
}

#[test]
fn an_exhausted_context_starts_a_new_session_with_the_id_palingenesis_chose() {
    let fake = FakeProvider::start();
    fake.push(Reply::PromptTooLong);
    fake.set_default(Reply::text("on it"));
    let qwen = clients::qwen(&fake.v1_url()).build();
    std::fs::write(
        qwen.sandbox.cwd.join("Next-step.md"),
        "Step 7: wire the flux capacitor to the relay board.\n",
    )
    .unwrap();
    let home = daemon_for(&qwen);

    let run = run_with_timeout(qwen.run("build the time machine"), RUN);
    assert!(!run.success(), "{}", run.report());
    let old = session_from(&run);

    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "context_exhausted", "{stop}");
    let created = home.wait_event("SessionCreated");
    let new = session_of(&created);
    assert_ne!(new, old);
    assert_eq!(created["metadata"]["replaces"], old);
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), new);
    assert!(
        qwen.chat_for(&new).is_file(),
        "qwen used the id it was given"
    );

    let reqs = fake.model_requests();
    let seeded = reqs[1].last_user_text().unwrap_or_default();
    assert!(seeded.contains("wire the flux capacitor"), "{seeded}");
    assert!(
        !reqs[1].body_contains("build the time machine"),
        "a new session starts without the old history"
    );
}

//! The resume engine end to end on the real Codex CLI: the real `codex` binary against the fake Responses
//! API, the real daemon with the Codex sandbox's environment (HOME, CODEX_HOME, TZ, the provider key),
//! assertions on what the provider received and on the audit trail.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use support::clients::{self, Codex};
use support::fake_provider::{FakeProvider, RecordedRequest, Reply, Scripted, UsageLimit};
use support::home::{Home, scheduled_at, session_of, ts};
use support::process::run_with_timeout;

const RUN: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(60);

/// Quick, deterministic resume settings for tests.
const FAST: &str = "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nreset_margin_secs = 2\nverify_timeout_secs = 60\n";

/// A daemon whose environment is the Codex sandbox's, as for a real user; `codex_extra` goes into
/// `[codex]`, next to the binary.
fn daemon_for(codex: &Codex, codex_extra: &str) -> Home {
    Home::started_with(
        codex.sandbox.env(),
        &format!(
            "{FAST}\n[codex]\nbinary = \"{}\"\n{codex_extra}\n",
            clients::codex_bin().display()
        ),
    )
}

/// The thread id `codex exec --json` announced.
fn thread_of(run: &support::ClientRun) -> String {
    run.json_lines()
        .iter()
        .find(|v| v["type"] == "thread.started")
        .and_then(|v| v["thread_id"].as_str())
        .unwrap_or_else(|| panic!("no thread.started:\n{}", run.report()))
        .to_string()
}

fn thread_header(r: &RecordedRequest) -> String {
    r.header("thread-id")
        .or_else(|| r.header("session-id"))
        .unwrap_or_default()
        .to_string()
}

/// The request resumed the same thread with its whole history and the continue prompt.
fn assert_same_thread_continued(first: &RecordedRequest, resumed: &RecordedRequest, prompt: &str) {
    assert_eq!(resumed.last_user_text().as_deref(), Some("continue"));
    assert!(
        resumed.body_contains(prompt),
        "the resume sends the old conversation"
    );
    assert_eq!(thread_header(resumed), thread_header(first), "same thread");
}

#[test]
fn usage_limit_resumes_the_same_thread_after_the_reset_plus_margin() {
    let fake = FakeProvider::start();
    let limit = UsageLimit::session_in(Duration::from_secs(6));
    let reset = limit.resets_at;
    fake.push(Reply::UsageLimit(limit));
    let codex = clients::codex(&fake.v1_url()).build();
    let home = daemon_for(&codex, "");

    let run = run_with_timeout(codex.exec("write the first chapter"), RUN);
    assert!(!run.success(), "the usage limit stops the turn");
    let thread = thread_of(&run);

    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "usage_limit");
    assert_eq!(session_of(&stop), thread);
    let scheduled = home.wait_event("ResumeScheduled");
    assert_eq!(scheduled["action"], "resume_same_session");
    let at = scheduled_at(&scheduled);
    assert_eq!(
        at,
        reset + chrono::Duration::seconds(1),
        "the rollout's resets_at ({reset}) is exact: 1 s margin, not the minute banners get"
    );
    let started = home.wait_events("ResumeStarted", 1, WAIT).remove(0);
    assert!(
        ts(&started) >= at,
        "resumed at {} before {at}",
        ts(&started)
    );
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), thread);

    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    assert_same_thread_continued(&reqs[0], &reqs[1], "write the first chapter");
    assert_eq!(codex.rollouts().len(), 1, "the same rollout continues");
    assert_eq!(home.events_of("ResumeStarted").len(), 1);
}

#[test]
fn a_rate_limit_after_codex_s_own_retries_backs_off_then_resumes() {
    let fake = FakeProvider::start();
    fake.push(
        Scripted::once(Reply::RateLimited {
            retry_after: Duration::from_secs(1),
        })
        .times(3),
    );
    let codex = clients::codex(&fake.v1_url()).retries(0, 2).build();
    let home = daemon_for(&codex, "");

    let run = run_with_timeout(codex.exec("refactor the parser"), RUN);
    assert!(!run.success(), "{}", run.report());
    assert_eq!(fake.model_requests().len(), 3, "codex retried twice itself");
    let thread = thread_of(&run);

    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "rate_limit");
    let scheduled = home.wait_event("ResumeScheduled");
    assert!(
        scheduled["message"].as_str().unwrap().contains("backoff"),
        "{scheduled}"
    );
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), thread);
    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 4, "{}", fake.describe());
    assert_same_thread_continued(&reqs[0], &reqs[3], "refactor the parser");
}

#[test]
fn an_exceeded_quota_needs_a_human_and_is_never_resumed() {
    let fake = FakeProvider::start();
    fake.push(Reply::status(
        429,
        &[],
        serde_json::json!({"error": {"type": "insufficient_quota", "code": "insufficient_quota",
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "param": null}}),
    ));
    let codex = clients::codex(&fake.v1_url()).build();
    let home = daemon_for(&codex, "");

    let run = run_with_timeout(codex.exec("one more feature"), RUN);
    assert!(!run.success());
    let thread = thread_of(&run);

    let attention = home.wait_event("NeedsAttention");
    assert_eq!(session_of(&attention), thread);
    let stop = &home.events_of("StopDetected")[0];
    assert_eq!(stop["reason"], "needs_human");
    assert!(
        stop["message"].as_str().unwrap().contains("Quota exceeded"),
        "{stop}"
    );
    // A later request proves the daemon has handled everything before it.
    home.ok(&["status"]);
    assert!(home.events_of("ResumeScheduled").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
    assert_eq!(fake.model_requests().len(), 1);
}

#[test]
fn an_exhausted_context_resumes_the_same_thread_by_default() {
    let fake = FakeProvider::start();
    fake.push(Reply::PromptTooLong);
    let codex = clients::codex(&fake.v1_url()).build();
    let home = daemon_for(&codex, "");

    let run = run_with_timeout(codex.exec("read the whole repository"), RUN);
    assert!(!run.success());
    let thread = thread_of(&run);

    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "context_exhausted");
    assert_eq!(
        home.wait_event("ResumeScheduled")["action"],
        "resume_same_session"
    );
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), thread);
    // Codex compacts the history first, then sends the continue prompt.
    let reqs = fake.wait_for(WAIT, "the continue request", |reqs| {
        reqs.iter()
            .any(|r| r.last_user_text().as_deref() == Some("continue"))
    });
    let last = reqs.last().unwrap();
    assert_same_thread_continued(&reqs[0], last, "read the whole repository");
    assert!(home.events_of("SessionCreated").is_empty());
    assert_eq!(codex.rollouts().len(), 1);
}

#[test]
fn an_exhausted_context_starts_a_new_session_when_configured() {
    let fake = FakeProvider::start();
    fake.push(Reply::PromptTooLong);
    let codex = clients::codex(&fake.v1_url()).build();
    std::fs::write(
        codex.sandbox.cwd.join("Next-step.md"),
        "Step 7: wire the flux capacitor to the relay board.\n",
    )
    .unwrap();
    let home = daemon_for(&codex, "context_strategy = \"new_session\"");

    let run = run_with_timeout(codex.exec("build the time machine"), RUN);
    assert!(!run.success());
    let old = thread_of(&run);
    let old_rollout = codex.rollout_for(&old).expect("the old rollout");

    let created = home.wait_event("SessionCreated");
    let new = session_of(&created);
    assert_ne!(new, old);
    assert_eq!(created["metadata"]["replaces"], old);
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), new);

    let backed = &home.events_of("SessionBackedUp")[0];
    assert_eq!(backed["outcome"], "ok");
    let backup = Path::new(backed["metadata"]["path"].as_str().unwrap());
    assert!(backup.starts_with(home.paths().backup_dir().join(&old)));
    assert!(
        std::fs::read(backup).unwrap().len() as u64
            <= std::fs::metadata(&old_rollout).unwrap().len()
    );

    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    let seeded = reqs[1].last_user_text().unwrap();
    assert!(seeded.contains("wire the flux capacitor"), "{seeded}");
    assert!(
        !reqs[1].body_contains("build the time machine"),
        "a new session starts without the old history"
    );
    assert_ne!(thread_header(&reqs[1]), thread_header(&reqs[0]));
    assert_eq!(thread_header(&reqs[1]), new);
    assert!(codex.rollout_for(&new).is_some());
}

#[test]
fn completed_turns_are_left_alone() {
    let fake = FakeProvider::start();
    let codex = clients::codex(&fake.v1_url()).build();
    let home = daemon_for(&codex, "");
    let run = run_with_timeout(codex.exec("say hi"), RUN);
    assert!(run.success(), "{}", run.report());
    let thread = thread_of(&run);
    let done = home.wait_event("SessionDone");
    assert_eq!(session_of(&done), thread);
    home.ok(&["status"]);
    assert!(home.events_of("StopDetected").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
    assert_eq!(fake.model_requests().len(), 1);
}

#[test]
fn a_codex_killed_mid_turn_is_resumed() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("too late").delayed(Duration::from_secs(45)));
    let codex = clients::codex(&fake.v1_url()).build();
    let home = daemon_for(&codex, "");

    let mut cmd = codex.exec("migrate the database");
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    fake.wait_for_requests(1, RUN);
    let rollouts = codex.rollouts();
    assert_eq!(rollouts.len(), 1);
    let thread = rollouts[0]
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .rsplit_once("rollout-")
        .map(|(_, rest)| rest[rest.len() - 36..].to_string())
        .unwrap();
    // No crash while it works.
    std::thread::sleep(Duration::from_millis(500));
    assert!(home.events_of("StopDetected").is_empty());
    child.kill().unwrap();
    child.wait().unwrap();

    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "transient");
    assert_eq!(session_of(&stop), thread);
    assert!(
        stop["message"]
            .as_str()
            .unwrap()
            .contains("exited in the middle of a turn"),
        "{stop}"
    );
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), thread);
    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    assert_same_thread_continued(&reqs[0], &reqs[1], "migrate the database");
    home.ok(&["status"]);
    assert_eq!(home.events_of("StopDetected").len(), 1);
}

#[test]
fn a_session_that_fails_forever_stops_at_the_cap() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::Overloaded);
    let codex = clients::codex(&fake.v1_url()).build();
    let home = daemon_for(&codex, "");
    home.write_config(&format!(
        "{FAST}max_retries = 3\n[codex]\nbinary = \"{}\"\n",
        clients::codex_bin().display()
    ));
    home.ok(&["daemon", "reload"]);

    run_with_timeout(codex.exec("try"), RUN);
    home.wait_events("SessionFailed", 1, WAIT);
    // A resumed turn that starts and fails again is not progress: each attempt counts.
    assert_eq!(home.events_of("ResumeStarted").len(), 3);
    assert_eq!(home.events_of("ResumeFailed").len(), 3);
    assert!(home.events_of("ResumeCompleted").is_empty());
    assert_eq!(fake.model_requests().len(), 4);
    let sessions: serde_json::Value =
        serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    assert_eq!(sessions["sessions"][0]["state"], "failed");
}

#[test]
fn a_codex_that_died_while_the_daemon_was_down_is_resumed_when_it_starts() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("too late").delayed(Duration::from_secs(45)));
    let codex = clients::codex(&fake.v1_url()).build();
    let mut child = codex
        .exec("port the build to meson")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    fake.wait_for_requests(1, RUN);
    child.kill().unwrap();
    child.wait().unwrap();
    let rollout = codex.rollouts().remove(0);

    let home = daemon_for(&codex, "");
    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "transient");
    assert_eq!(stop["metadata"]["detail"]["kind"], "transient");
    assert_eq!(
        stop["metadata"]["origin"], "rollout",
        "read from the rollout at start"
    );
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert!(
        rollout
            .to_string_lossy()
            .ends_with(&format!("{}.jsonl", session_of(&done)))
    );
    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    assert_same_thread_continued(&reqs[0], &reqs[1], "port the build to meson");
}

/// The limit was hit before palingenesis was started: the rollout already ends in the stop, and the daemon,
/// which never followed that file, catches it up at start and resumes at the rollout's exact reset.
#[test]
fn a_usage_limit_hit_before_the_daemon_started_is_resumed_once_it_starts() {
    let fake = FakeProvider::start();
    let limit = UsageLimit::session_in(Duration::from_secs(8));
    let reset = limit.resets_at;
    fake.push(Reply::UsageLimit(limit));
    let codex = clients::codex(&fake.v1_url()).build();
    let run = run_with_timeout(codex.exec("write the first chapter"), RUN);
    assert!(!run.success(), "the usage limit stops the turn");
    let thread = thread_of(&run);

    let home = daemon_for(&codex, "");
    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "usage_limit");
    assert_eq!(session_of(&stop), thread);
    assert_eq!(stop["metadata"]["origin"], "catch_up");
    let scheduled = home.wait_event("ResumeScheduled");
    let at = scheduled_at(&scheduled);
    assert_eq!(
        at,
        reset + chrono::Duration::seconds(1),
        "exact reset + 1 s"
    );
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), thread);
    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    assert_same_thread_continued(&reqs[0], &reqs[1], "write the first chapter");
    assert_eq!(home.events_of("StopDetected").len(), 1, "caught up once");
}

#[test]
fn a_turn_still_running_when_the_daemon_starts_is_left_alone() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("all done").delayed(Duration::from_secs(4)));
    let codex = clients::codex(&fake.v1_url()).build();
    let child = codex
        .exec("take your time")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    fake.wait_for_requests(1, RUN);

    let home = daemon_for(&codex, "");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let done = home.wait_event("SessionDone");
    assert!(!session_of(&done).is_empty());
    home.ok(&["status"]);
    assert!(home.events_of("StopDetected").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
    assert_eq!(fake.model_requests().len(), 1);
}

//! The resume engine end to end on the real Claude Code CLI: the real `claude` binary against the fake
//! Anthropic API, the real daemon in an isolated home, assertions on what the provider received and on the
//! audit trail.

mod support;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use support::clients::{self, Claude};
use support::fake_provider::{FakeProvider, Reply, UsageLimit};
use support::home::{Home, next_minute_after, scheduled_at, session_of, ts};
use support::process::run_with_timeout;

const RUN: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(90);

/// Quick, deterministic resume settings for tests.
const FAST: &str = "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nreset_margin_secs = 2\nverify_timeout_secs = 60\n";

/// A daemon whose environment is the Claude sandbox's (same HOME, provider, key), as for a real user.
/// `resume_extra` goes into `[resume]`, `claude_extra` into `[claude]`.
fn daemon_with(claude: &mut Claude, resume_extra: &str, claude_extra: &str) -> Home {
    let home = Home::started_with(
        claude.sandbox.env(),
        &format!(
            "{FAST}{resume_extra}\n[claude]\nbinary = \"{}\"\n{claude_extra}\n",
            clients::claude_bin().display()
        ),
    );
    // Hooks run by claude find this daemon the way a user's would: through the environment.
    claude
        .sandbox
        .set_env("PALINGENESIS_HOME", &home.palingenesis_home());
    home
}

/// Script a subscription usage limit that resets at the next whole minute at least 4 s away, as Claude
/// shows it; returns the reset.
fn usage_limit_at_the_next_minute(fake: &FakeProvider) -> DateTime<Utc> {
    let reset = next_minute_after(Duration::from_secs(4));
    let until = (reset - Utc::now()).to_std().unwrap();
    fake.push(Reply::UsageLimit(UsageLimit::session_in(
        until + Duration::from_millis(500),
    )));
    reset
}

fn daemon_for(claude: &mut Claude, resume_extra: &str) -> Home {
    daemon_with(claude, resume_extra, "")
}

/// The only transcript and the session it belongs to (its file name).
fn only_transcript_and_session(claude: &Claude) -> (std::path::PathBuf, String) {
    let transcript = only_transcript(claude);
    let session = transcript
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    (transcript, session)
}

fn only_transcript(claude: &Claude) -> std::path::PathBuf {
    let t = claude.transcripts();
    assert_eq!(t.len(), 1, "expected one transcript, found {t:?}");
    t[0].clone()
}

#[test]
fn rate_limit_is_resumed_in_the_same_session_with_its_history() {
    let fake = FakeProvider::start();
    fake.push(Reply::RateLimited {
        retry_after: Duration::from_secs(1),
    });
    let mut claude = clients::claude(&fake.url()).build();
    let home = daemon_for(&mut claude, "");

    let first = run_with_timeout(claude.print("write the first chapter"), RUN);
    assert!(!first.success(), "the scripted 429 stops the turn");
    let (transcript, session) = only_transcript_and_session(&claude);

    let done = home.wait_event("ResumeCompleted");
    assert_eq!(session_of(&done), session);
    let stop = &home.events_of("StopDetected")[0];
    assert_eq!(stop["reason"], "rate_limit");
    assert_eq!(session_of(stop), session);
    assert_eq!(home.events_of("ResumeStarted").len(), 1);
    assert_eq!(
        home.events_of("ResumeScheduled")[0]["action"],
        "resume_same_session"
    );

    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    assert_eq!(reqs[1].last_user_text().as_deref(), Some("continue"));
    assert!(
        reqs[1].raw_body.contains("write the first chapter"),
        "the resume sends the old conversation"
    );
    assert_eq!(
        only_transcript(&claude),
        transcript,
        "the same transcript file continues"
    );
    let sessions: serde_json::Value =
        serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    assert_eq!(sessions["sessions"][0]["state"], "running");
}

#[test]
fn usage_limit_waits_for_the_announced_reset_plus_margin() {
    let fake = FakeProvider::start();
    let reset = usage_limit_at_the_next_minute(&fake);
    let mut claude = clients::claude(&fake.url()).subscription().build();
    let home = daemon_for(&mut claude, "");

    run_with_timeout(claude.print("long task"), RUN);
    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "usage_limit");
    let scheduled = home.wait_event("ResumeScheduled");
    let at = scheduled_at(&scheduled);
    assert_eq!(
        at,
        reset + chrono::Duration::seconds(2),
        "reset {reset} + 2 s margin"
    );

    let started = home.wait_events("ResumeStarted", 1, WAIT).remove(0);
    assert!(
        ts(&started) >= reset + chrono::Duration::seconds(2),
        "resumed at {} before reset+margin",
        ts(&started)
    );
    home.wait_events("ResumeCompleted", 1, WAIT);
    assert_eq!(fake.model_requests().len(), 2);
}

/// A new user: the limit is hit, then palingenesis is installed and started. The stop is already in the
/// transcript, which the daemon has never followed; it is caught up at start and resumed.
#[test]
fn a_usage_limit_hit_before_the_daemon_started_is_resumed_once_it_starts() {
    let fake = FakeProvider::start();
    let reset = usage_limit_at_the_next_minute(&fake);
    let mut claude = clients::claude(&fake.url()).subscription().build();
    let first = run_with_timeout(claude.print("long task"), RUN);
    assert!(!first.success(), "the usage limit stops the turn");
    let (transcript, session) = only_transcript_and_session(&claude);

    let home = daemon_for(&mut claude, "");
    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "usage_limit");
    assert_eq!(session_of(&stop), session);
    assert_eq!(stop["metadata"]["origin"], "catch_up");
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), session);
    let started = &home.events_of("ResumeStarted")[0];
    assert!(
        ts(started) >= reset,
        "resumed at {} before the reset {reset}",
        ts(started)
    );

    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    assert_eq!(reqs[1].last_user_text().as_deref(), Some("continue"));
    assert!(
        reqs[1].raw_body.contains("long task"),
        "the same conversation continues"
    );
    assert_eq!(only_transcript(&claude), transcript);
    assert_eq!(home.events_of("StopDetected").len(), 1, "caught up once");
}

#[test]
fn prompt_too_long_backs_up_and_starts_a_new_session_from_next_step() {
    let fake = FakeProvider::start();
    fake.push(Reply::PromptTooLong);
    let mut claude = clients::claude(&fake.url()).build();
    std::fs::write(
        claude.sandbox.cwd.join("Next-step.md"),
        "Step 7: wire the flux capacitor to the relay board.\n",
    )
    .unwrap();
    let home = daemon_for(&mut claude, "");

    run_with_timeout(claude.print("build the time machine"), RUN);
    let old = only_transcript(&claude);
    let old_id = old.file_stem().unwrap().to_str().unwrap().to_string();

    let created = home.wait_event("SessionCreated");
    let new_id = session_of(&created);
    assert_ne!(new_id, old_id);
    assert_eq!(created["metadata"]["replaces"], old_id);
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), new_id);

    let backed = &home.events_of("SessionBackedUp")[0];
    assert_eq!(backed["outcome"], "ok");
    let backup = Path::new(backed["metadata"]["path"].as_str().unwrap());
    assert!(std::fs::read(backup).unwrap().len() as u64 <= std::fs::metadata(&old).unwrap().len());
    assert!(backup.starts_with(home.paths().backup_dir().join(&old_id)));

    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    let seeded = reqs[1].last_user_text().unwrap();
    assert!(seeded.contains("wire the flux capacitor"), "{seeded}");
    assert!(
        !reqs[1].raw_body.contains("build the time machine"),
        "a new session starts without the old history"
    );
    assert!(claude.transcript_path(&new_id).exists());
}

#[test]
fn completed_turns_are_left_alone() {
    let fake = FakeProvider::start();
    let mut claude = clients::claude(&fake.url()).build();
    let home = daemon_for(&mut claude, "");
    let run = run_with_timeout(claude.print("say hi"), RUN);
    assert!(run.success(), "{}", run.report());
    let session = only_transcript(&claude)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    support::home::wait_until(Duration::from_secs(20), || {
        home.ok(&["sessions"]).contains(&session[..8])
    });
    // A later request proves the daemon has processed everything before it.
    home.ok(&["status"]);
    assert!(home.events_of("StopDetected").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
    assert_eq!(fake.model_requests().len(), 1);
}

#[test]
fn a_session_that_fails_forever_stops_at_the_cap() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::Overloaded);
    let mut claude = clients::claude(&fake.url()).build();
    let home = daemon_for(&mut claude, "max_retries = 3\n");

    run_with_timeout(claude.print("try"), RUN);
    home.wait_events("SessionFailed", 1, WAIT);
    assert_eq!(home.events_of("ResumeStarted").len(), 3);
    assert_eq!(home.events_of("ResumeFailed").len(), 3);
    let sessions: serde_json::Value =
        serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    assert_eq!(sessions["sessions"][0]["state"], "failed");
    assert_eq!(fake.model_requests().len(), 4);
}

fn hook_command() -> String {
    format!("{} hook claude", support::home::BIN)
}

fn with_hooks(fake: &FakeProvider) -> Claude {
    let mut b = clients::claude(&fake.url());
    for e in ["StopFailure", "Stop", "SessionEnd", "SessionStart"] {
        b = b.hook(e, &hook_command());
    }
    b.build()
}

#[test]
fn hooks_alone_are_enough() {
    let fake = FakeProvider::start();
    fake.push(Reply::RateLimited {
        retry_after: Duration::from_secs(1),
    });
    let mut claude = with_hooks(&fake);
    // Transcript watching pointed at an empty place: only the hooks can tell the daemon.
    let elsewhere = claude.sandbox.home.join("not-the-transcripts");
    let home = daemon_with(
        &mut claude,
        "",
        &format!("projects_dir = \"{}\"", elsewhere.display()),
    );

    run_with_timeout(claude.print("hooked"), RUN);
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    let session = only_transcript(&claude)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(session_of(&done), session);
    assert_eq!(
        home.events_of("StopDetected")[0]["metadata"]["origin"],
        "hook"
    );
    assert_eq!(fake.model_requests().len(), 2);
}

#[test]
fn hooks_and_transcripts_together_make_one_decision() {
    let fake = FakeProvider::start();
    fake.push(Reply::RateLimited {
        retry_after: Duration::from_secs(1),
    });
    let mut claude = with_hooks(&fake);
    let home = daemon_for(&mut claude, "");

    run_with_timeout(claude.print("both"), RUN);
    home.wait_events("ResumeCompleted", 1, WAIT);
    // Let any late duplicate arrive, then check there was exactly one of everything.
    home.ok(&["status"]);
    assert_eq!(
        home.events_of("StopDetected").len(),
        1,
        "{:?}",
        home.events_of("StopDetected")
    );
    assert_eq!(home.events_of("ResumeScheduled").len(), 1);
    assert_eq!(home.events_of("ResumeStarted").len(), 1);
    assert_eq!(fake.model_requests().len(), 2);
}

#[test]
fn a_restart_during_the_wait_still_resumes_once_on_time() {
    let fake = FakeProvider::start();
    fake.push(Reply::RateLimited {
        retry_after: Duration::from_secs(1),
    });
    let mut claude = clients::claude(&fake.url()).build();
    let home = daemon_for(&mut claude, "");
    home.write_config(&format!(
        "[resume]\nbackoff_base_secs = 6\nbackoff_max_secs = 6\njitter = false\nverify_timeout_secs = 60\n[claude]\nbinary = \"{}\"\n",
        clients::claude_bin().display()
    ));
    home.ok(&["daemon", "reload"]);

    run_with_timeout(claude.print("patience"), RUN);
    let scheduled = home.wait_event("ResumeScheduled");
    let at = scheduled_at(&scheduled);
    home.ok(&["daemon", "restart"]);
    assert!(Utc::now() < at, "the restart happened during the wait");
    let started = home.wait_events("ResumeStarted", 1, WAIT).remove(0);
    assert!(
        ts(&started) >= at,
        "resumed at {} before {at}",
        ts(&started)
    );
    home.wait_events("ResumeCompleted", 1, WAIT);
    home.ok(&["status"]);
    assert_eq!(home.events_of("ResumeStarted").len(), 1);
    assert_eq!(fake.model_requests().len(), 2);
}

#[test]
fn the_resume_runs_with_the_agents_own_environment() {
    // The daemon runs with a different HOME and no provider settings at all; only the hook tells it how the
    // agent ran (HOME, ANTHROPIC_BASE_URL, the key), and the resume must reuse exactly that.
    let fake = FakeProvider::start();
    fake.push(Reply::RateLimited {
        retry_after: Duration::from_secs(1),
    });
    let mut claude = with_hooks(&fake);
    let home = Home::started_with(
        &[],
        &format!(
            "{FAST}\n[claude]\nbinary = \"{}\"\n",
            clients::claude_bin().display()
        ),
    );
    claude
        .sandbox
        .set_env("PALINGENESIS_HOME", &home.palingenesis_home());

    run_with_timeout(claude.print("remember the environment"), RUN);
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    let session = only_transcript(&claude)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(session_of(&done), session);
    assert_eq!(fake.model_requests().len(), 2);
    // The key reached the provider, and never the audit trail or the CLI.
    assert_eq!(
        fake.model_requests()[1].header("x-api-key"),
        Some(clients::claude::API_KEY)
    );
    let audit = std::fs::read_to_string(home.paths().audit_file()).unwrap();
    assert!(
        !audit.contains(clients::claude::API_KEY),
        "secrets never reach the audit trail"
    );
    assert!(
        !home
            .ok(&["sessions", "--json"])
            .contains(clients::claude::API_KEY)
    );
    assert!(
        !home.log().contains(clients::claude::API_KEY),
        "secrets never reach the log"
    );
}

#[test]
fn without_hooks_the_environment_is_learned_from_the_live_agent() {
    // No hooks, and a daemon with another HOME and no provider settings: it sees the transcript only, learns
    // the agent's environment from the running process, and the resume must reuse it.
    let fake = FakeProvider::start();
    // A model answer takes a while (here 3 s before the 429): the agent is alive when its transcript appears.
    fake.push(
        Reply::RateLimited {
            retry_after: Duration::from_secs(1),
        }
        .delayed(Duration::from_secs(3)),
    );
    let claude = clients::claude(&fake.url()).build();
    let projects = claude.sandbox.home.join(".claude/projects");
    let home = Home::started_with(
        &[],
        &format!(
            "{FAST}\n[claude]\nbinary = \"{}\"\nprojects_dir = \"{}\"\n",
            clients::claude_bin().display(),
            projects.display()
        ),
    );
    run_with_timeout(claude.print("learn my environment"), RUN);
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    let session = only_transcript(&claude)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(session_of(&done), session);
    assert_eq!(fake.model_requests().len(), 2);
    assert_eq!(
        fake.model_requests()[1].header("x-api-key"),
        Some(clients::claude::API_KEY)
    );
}

/// A loop script named after the assistant (`claude-nightly.sh`) runs `claude -p`, which stops on a 429, and
/// the script keeps running: the script is not the agent, so the session is resumed headless.
#[test]
fn a_loop_script_named_after_the_assistant_does_not_block_the_resume() {
    let fake = FakeProvider::start();
    fake.push(Reply::RateLimited {
        retry_after: Duration::from_secs(1),
    });
    let mut claude = clients::claude(&fake.url()).build();
    let home = daemon_for(&mut claude, "");
    let run = claude
        .sandbox
        .shell_line(&["-p", "write the first chapter"])
        .replacen("&& exec env", "&& env", 1);
    let script = claude.sandbox.cwd.join("claude-nightly.sh");
    std::fs::write(&script, format!("#!/bin/sh\n{run}\nexec sleep 300\n")).unwrap();
    let mut looping = std::process::Command::new("sh")
        .arg(&script)
        .current_dir(&claude.sandbox.cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let started = home.wait_events("ResumeStarted", 1, WAIT).remove(0);
    assert_eq!(started["metadata"]["reach"], "headless", "{started}");
    home.wait_event("ResumeCompleted");
    assert!(home.events_of("NeedsAttention").is_empty());
    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    assert_eq!(reqs[1].last_user_text().as_deref(), Some("continue"));
    assert!(
        looping.try_wait().unwrap().is_none(),
        "the script was still running"
    );
    let _ = looping.kill();
    let _ = looping.wait();
}

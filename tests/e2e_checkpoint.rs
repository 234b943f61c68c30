//! The early checkpoint end to end on the real Claude Code CLI: the fake Anthropic provider reports a context
//! past the `[checkpoint]` threshold; palingenesis's Stop hook makes Claude go on with the checkpoint request;
//! the model writes Next-step.md (a permitted Write); the provider then answers "prompt is too long" and the
//! new session palingenesis starts is seeded from that checkpoint.

mod support;

use std::time::Duration;

use serde_json::json;
use support::clients::{self, Claude};
use support::fake_provider::{FakeProvider, Reply, Scripted, Turn};
use support::home::{Home, session_of};
use support::process::run_with_timeout;

const RUN: Duration = Duration::from_secs(90);
const WAIT: Duration = Duration::from_secs(90);
/// Words of the default checkpoint request (`[checkpoint] prompt`).
const ASKED: &str = "the checkpoint threshold is";
/// Reported input tokens: 55% of the 1,000,000-token window of Claude Code's default model (Opus 5.5),
/// past the tests' 50% threshold and below Claude Code's own auto-compaction.
const FULLISH: u64 = 550_000;

const FAST: &str = "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nreset_margin_secs = 2\nverify_timeout_secs = 60\n";

/// Claude with palingenesis's hooks, allowed to write files in its project (its own permission rules, never a
/// bypass flag).
fn claude_with_hooks(fake: &FakeProvider) -> Claude {
    let command = format!("{} hook claude", support::home::BIN);
    let mut b = clients::claude(&fake.url());
    for e in ["StopFailure", "Stop", "SessionEnd", "SessionStart"] {
        b = b.hook(e, &command);
    }
    let claude = b.build();
    let settings = claude.sandbox.cwd.join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(
        &settings,
        json!({"permissions": {"allow": ["Write", "Read"]}}).to_string(),
    )
    .unwrap();
    claude
}

/// A daemon with the sandbox's environment and `checkpoint` as its `[checkpoint]` section.
fn daemon(claude: &mut Claude, checkpoint: &str) -> Home {
    daemon_with(claude, checkpoint, "")
}

/// [`daemon`] with `claude_extra` in its `[claude]` section.
fn daemon_with(claude: &mut Claude, checkpoint: &str, claude_extra: &str) -> Home {
    let home = Home::started_with(
        claude.sandbox.env(),
        &format!(
            "{FAST}\n[checkpoint]\nthreshold_percent = 50\n{checkpoint}\n[claude]\nbinary = \"{}\"\n{claude_extra}\n",
            clients::claude_bin().display()
        ),
    );
    claude
        .sandbox
        .set_env("PALINGENESIS_HOME", &home.palingenesis_home());
    home
}

/// Requests whose last user text is the checkpoint request.
fn asked_requests(fake: &FakeProvider) -> usize {
    fake.model_requests()
        .iter()
        .filter(|r| r.last_user_text().is_some_and(|t| t.contains(ASKED)))
        .count()
}

fn only_session(claude: &Claude) -> String {
    let t = claude.transcripts();
    assert_eq!(t.len(), 1, "expected one transcript, found {t:?}");
    t[0].file_stem().unwrap().to_str().unwrap().to_string()
}

#[test]
fn a_full_context_is_checkpointed_and_the_successor_starts_from_it() {
    let fake = FakeProvider::start();
    let mut claude = claude_with_hooks(&fake);
    let next_step = claude.sandbox.cwd.join("Next-step.md");
    fake.push(
        Scripted::once(Reply::Turn(
            Turn::text("Relay board half wired.").input_tokens(FULLISH),
        ))
        .unless_body_contains(ASKED),
    );
    fake.push(
        Scripted::once(Reply::Turn(Turn::text("Checkpointing.").tool(
            "Write",
            json!({"file_path": next_step.display().to_string(),
                   "content": "Step 4: solder relay K3, then test the flux capacitor.\n"}),
        )))
        .when_body_contains(ASKED),
    );
    // Everything that carries the old conversation on is too long now (Claude's own compaction attempt too).
    fake.push(
        Scripted::once(Reply::PromptTooLong)
            .when_body_contains("toolu_fake_")
            .always(),
    );
    let home = daemon(&mut claude, "enabled = true\n");

    run_with_timeout(claude.print("build the time machine"), RUN);

    let asked = home.wait_event("CheckpointRequested");
    assert_eq!(asked["outcome"], "asked");
    assert_eq!(asked["metadata"]["how"], "hook");
    assert_eq!(asked["metadata"]["threshold"], 50);
    assert_eq!(asked["metadata"]["window_tokens"], 1_000_000);
    assert_eq!(asked_requests(&fake), 1, "{}", fake.describe());
    assert!(
        std::fs::read_to_string(&next_step)
            .unwrap()
            .contains("solder relay K3")
    );

    let created = home.wait_event("SessionCreated");
    let old = session_of(&asked);
    assert_eq!(created["metadata"]["replaces"], old);
    assert_eq!(created["metadata"]["after_checkpoint_request"], 50);
    let new_id = session_of(&created);
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), new_id);
    let first = fake
        .model_requests()
        .into_iter()
        .find(|r| r.header("x-claude-code-session-id") == Some(new_id.as_str()))
        .expect("the new session's request");
    let seeded = first.last_user_text().unwrap();
    assert!(seeded.contains("solder relay K3"), "{seeded}");
    assert!(!first.raw_body.contains("build the time machine"));
}

#[test]
fn a_session_is_asked_once_per_threshold_even_across_restarts_through_hooks_alone() {
    let fake = FakeProvider::start();
    let mut claude = claude_with_hooks(&fake);
    fake.set_default(Reply::Turn(
        Turn::text("Still going.").input_tokens(FULLISH),
    ));
    // Transcripts are not watched: the hook alone reads how full the context is, as the turn ends.
    let elsewhere = claude.sandbox.home.join("not-the-transcripts");
    let home = daemon_with(
        &mut claude,
        "enabled = true\n",
        &format!("projects_dir = \"{}\"", elsewhere.display()),
    );

    let run = run_with_timeout(claude.print("keep going"), RUN);
    assert!(run.success(), "{}", run.report());
    let session = only_session(&claude);
    home.wait_event("CheckpointRequested");
    // The request made Claude go on once; its next turn end was not asked again.
    assert_eq!(fake.model_requests().len(), 2, "{}", fake.describe());
    assert_eq!(asked_requests(&fake), 1);

    home.ok(&["daemon", "restart"]);
    let run = run_with_timeout(claude.resume_print(&session, "and more"), RUN);
    assert!(run.success(), "{}", run.report());
    support::home::wait_until(Duration::from_secs(30), || {
        fake.model_requests().len() == 3 && home.ok(&["sessions", "--json"]).contains(&session)
    });
    // A later request proves the daemon has handled the hook of that turn.
    home.ok(&["status"]);
    assert_eq!(fake.model_requests().len(), 3, "{}", fake.describe());
    assert_eq!(asked_requests(&fake), 1);
    assert_eq!(home.events_of("CheckpointRequested").len(), 1);
}

#[test]
fn a_project_with_checkpoints_off_is_never_asked() {
    let fake = FakeProvider::start();
    let mut claude = claude_with_hooks(&fake);
    fake.set_default(Reply::Turn(Turn::text("Busy.").input_tokens(FULLISH)));
    // It follows the convention, but its own setting turns the request off.
    std::fs::write(claude.sandbox.cwd.join("Next-step.md"), "Step 1.\n").unwrap();
    let cwd = claude.sandbox.cwd.display().to_string();
    let home = daemon(
        &mut claude,
        &format!("[checkpoint.projects.\"{cwd}\"]\nenabled = false\n"),
    );
    assert_never_asked(&claude, &fake, &home);
}

#[test]
fn a_project_without_next_step_notes_is_not_asked_by_default() {
    let fake = FakeProvider::start();
    let mut claude = claude_with_hooks(&fake);
    fake.set_default(Reply::Turn(Turn::text("Busy.").input_tokens(FULLISH)));
    let home = daemon(&mut claude, "");
    assert_never_asked(&claude, &fake, &home);
}

fn assert_never_asked(claude: &Claude, fake: &FakeProvider, home: &Home) {
    let run = run_with_timeout(claude.print("work"), RUN);
    assert!(run.success(), "{}", run.report());
    let session = only_session(claude);
    // The daemon saw how full the context was (and shows it), and still did not ask.
    support::home::wait_until(Duration::from_secs(30), || {
        let list: serde_json::Value =
            serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
        list["sessions"].as_array().unwrap().iter().any(|s| {
            s["key"]["id"] == session.as_str()
                && s["context"]["used_tokens"].as_u64() > Some(FULLISH)
        })
    });
    home.ok(&["status"]);
    assert_eq!(fake.model_requests().len(), 1, "{}", fake.describe());
    assert_eq!(asked_requests(fake), 0);
    assert!(home.events_of("CheckpointRequested").is_empty());
}

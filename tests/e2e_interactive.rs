//! Resuming interactive Claude Code where it lives, end to end: the real `claude` TUI (subscription mode)
//! against the fake provider's usage-limit 429, the real daemon, and a terminal owned by the test: under
//! `palingenesis run` on a test PTY, in a tmux pane, in a pane whose foreground is a shell, and in a
//! terminal palingenesis cannot reach.

mod support;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use support::clients::{self, Claude, quote};
use support::fake_provider::{FakeProvider, Reply, UsageLimit};
use support::home::{Home, next_minute_after};
use support::interactive::{sessions, submit, wait_for_reach};
use support::pty::PtyTerm;
use support::tmux::Tmux;

const RUN: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(100);
const ANSWER: &str = "resumed where it stopped";

/// A subscriber's sandbox whose first turn hits a session limit resetting at the returned minute; every later
/// request is answered with [`ANSWER`].
fn limited_claude(fake: &FakeProvider) -> (Claude, DateTime<Utc>) {
    limited_claude_with(fake, clients::claude(&fake.url()))
}

fn limited_claude_with(
    fake: &FakeProvider,
    builder: clients::ClaudeBuilder,
) -> (Claude, DateTime<Utc>) {
    let reset = next_minute_after(Duration::from_secs(4));
    let until = (reset - Utc::now()).to_std().unwrap();
    fake.push(Reply::UsageLimit(UsageLimit::session_in(
        until + Duration::from_millis(500),
    )));
    fake.set_default(Reply::text(ANSWER));
    // Since 2.1.234 a subscriber's session continues by itself at the reset unless this is off; these tests
    // are about palingenesis doing it (the native one has its own test below).
    let builder = if builder.has_setting("autoContinueAtUsageLimit") {
        builder
    } else {
        builder.setting("autoContinueAtUsageLimit", serde_json::json!(false))
    };
    (builder.subscription().build(), reset)
}

/// A daemon with the sandbox's environment; the sandbox learns where it is (for `palingenesis run`).
fn daemon_for(claude: &mut Claude) -> Home {
    support::interactive::daemon_for(&mut claude.sandbox, "claude", &clients::claude_bin())
}

/// The resume reached the provider on the same session, typed as the prompt "continue".
fn assert_resumed_in_the_same_session(fake: &FakeProvider, claude: &Claude) {
    let reqs = fake.model_requests();
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    assert_eq!(reqs[1].last_user_text().as_deref(), Some("continue"));
    assert!(
        reqs[1].raw_body.contains("long task"),
        "the typed prompt continues the conversation"
    );
    let session = |i: usize| {
        reqs[i]
            .header("x-claude-code-session-id")
            .map(str::to_owned)
    };
    assert!(session(0).is_some());
    assert_eq!(session(1), session(0), "same session");
    assert_eq!(claude.transcripts().len(), 1, "{:?}", claude.transcripts());
}

#[test]
fn under_palingenesis_run_the_prompt_is_typed_into_the_wrapped_agent() {
    let fake = FakeProvider::start();
    let (mut claude, reset) = limited_claude(&fake);
    let home = daemon_for(&mut claude);
    let bin = clients::claude_bin();
    let mut term = PtyTerm::spawn(
        Path::new(support::home::BIN),
        &["run", "--", bin.to_str().unwrap()],
        &claude.sandbox.cwd,
        claude.sandbox.env(),
        40,
        160,
    );
    term.wait_for_text("❯", RUN);
    submit(&|t| term.type_text(t), &|| term.enter(), "long task");
    term.wait_for_text("hit your", RUN);
    // Claude opens its limit menu by itself; it has to be dismissed, never answered.
    term.wait_for_text("Upgrade your plan", RUN);

    let scheduled = home.wait_event("ResumeScheduled");
    let at: DateTime<Utc> = scheduled["metadata"]["at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(at, reset + chrono::Duration::seconds(2));
    wait_for_reach(&home, "pty");
    // The countdown in the terminal's title (the sandbox's TZ is UTC).
    let title = format!("palingenesis: resuming at {}", at.format("%H:%M"));
    support::home::wait_until(Duration::from_secs(20), || term.titles().contains(&title));

    let started = home.wait_events("ResumeStarted", 1, WAIT).remove(0);
    assert_eq!(started["metadata"]["reach"], "pty");
    assert!(
        started["ts"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
            >= at
    );
    home.wait_events("ResumeCompleted", 1, WAIT);
    let screen = term.wait_for_text(ANSWER, RUN);
    assert!(screen.contains("❯ continue"), "{screen}");
    assert!(!screen.contains("Upgrade your plan"), "{screen}");
    // Once the resume is verified the title goes back to the agent.
    support::home::wait_until(Duration::from_secs(20), || {
        term.titles()
            .last()
            .is_some_and(|t| !t.starts_with("palingenesis:"))
    });
    assert!(
        term.titles()
            .iter()
            .any(|t| t == "palingenesis: resuming now")
    );
    assert_resumed_in_the_same_session(&fake, &claude);
    assert!(home.events_of("NeedsAttention").is_empty());

    // The wrapper stays transparent: the agent's exit status comes back through it.
    submit(&|t| term.type_text(t), &|| term.enter(), "/exit");
    assert_eq!(term.wait_exit(RUN), Some(0));
}

#[test]
fn in_a_tmux_pane_the_prompt_is_typed_with_send_keys() {
    let fake = FakeProvider::start();
    // With hooks too: the stop then also names the agent's pid.
    let hook = format!("{} hook claude", support::home::BIN);
    let builder = clients::claude(&fake.url())
        .hook("StopFailure", &hook)
        .hook("Stop", &hook);
    let (mut claude, reset) = limited_claude_with(&fake, builder);
    let home = daemon_for(&mut claude);
    let tmux = Tmux::start(
        claude.sandbox.dir.path(),
        "claude",
        &claude.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text("❯", RUN);
    submit(&|t| tmux.type_text(t), &|| tmux.key("Enter"), "long task");
    tmux.wait_for_text("hit your", RUN);
    tmux.wait_for_text("Upgrade your plan", RUN);

    let scheduled = home.wait_event("ResumeScheduled");
    let at: DateTime<Utc> = scheduled["metadata"]["at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(at, reset + chrono::Duration::seconds(2));
    wait_for_reach(&home, "tmux");
    let listed = sessions(&home);
    assert!(
        listed["sessions"][0]["locator"]["tmux_pane"]
            .as_str()
            .is_some_and(|p| p.starts_with('%'))
    );

    let started = home.wait_events("ResumeStarted", 1, WAIT).remove(0);
    assert_eq!(started["metadata"]["reach"], "tmux");
    home.wait_events("ResumeCompleted", 1, WAIT);
    let screen = tmux.wait_for_text(ANSWER, RUN);
    assert!(screen.contains("❯ continue"), "{screen}");
    assert!(!screen.contains("Upgrade your plan"), "{screen}");
    assert_resumed_in_the_same_session(&fake, &claude);
}

/// The pid of `parent`'s child process.
fn child_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let ppid: u32 = stat
            .rsplit(')')
            .next()?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        (ppid == parent).then_some(pid)
    })
}

#[test]
fn a_pane_whose_foreground_is_a_shell_is_never_typed_into() {
    let fake = FakeProvider::start();
    let (mut claude, reset) = limited_claude(&fake);
    let home = daemon_for(&mut claude);
    // A shell in the pane; Claude runs as its job.
    let mut line = format!(
        "cd {} && exec env -i",
        quote(&claude.sandbox.cwd.display().to_string())
    );
    for (k, v) in claude.sandbox.env() {
        line.push_str(&format!(" {k}={}", quote(v)));
    }
    line.push_str(" PS1='shell$ ' /bin/bash --norc --noprofile -i");
    let tmux = Tmux::start(claude.sandbox.dir.path(), "shell", &line);
    tmux.wait_for_text("shell$", RUN);
    tmux.type_text(&quote(&clients::claude_bin().display().to_string()));
    tmux.key("Enter");
    tmux.wait_for_text("❯", RUN);
    submit(&|t| tmux.type_text(t), &|| tmux.key("Enter"), "long task");
    tmux.wait_for_text("hit your", RUN);
    home.wait_event("ResumeScheduled");

    // The job is stopped: the shell takes the terminal back.
    let agent = child_of(tmux.pane_pid.unwrap() as u32).expect("claude under the shell");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(agent as i32),
        nix::sys::signal::Signal::SIGSTOP,
    )
    .unwrap();
    tmux.wait_for_text("Stopped", RUN);
    home.ok(&["skip"]);

    let attention = home.wait_events("NeedsAttention", 1, WAIT).remove(0);
    let why = attention["message"].as_str().unwrap();
    assert!(why.contains("not in the foreground"), "{why}");
    assert!(why.contains(&reset.format("%H:%M").to_string()), "{why}");
    assert_eq!(sessions(&home)["sessions"][0]["reach"], "needs_attention");
    assert!(!tmux.capture().contains("continue"), "{}", tmux.capture());
    assert_eq!(fake.model_requests().len(), 1, "{}", fake.describe());
    assert!(home.events_of("ResumeCompleted").is_empty());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(agent as i32),
        nix::sys::signal::Signal::SIGCONT,
    )
    .unwrap();
}

#[test]
fn an_agent_alive_outside_any_reachable_terminal_is_not_resumed_headless() {
    let fake = FakeProvider::start();
    let (mut claude, reset) = limited_claude(&fake);
    let home = daemon_for(&mut claude);
    // Claude straight on a terminal palingenesis has no way into.
    let term = PtyTerm::spawn(
        &clients::claude_bin(),
        &[],
        &claude.sandbox.cwd,
        claude.sandbox.env(),
        40,
        160,
    );
    term.wait_for_text("❯", RUN);
    submit(&|t| term.type_text(t), &|| term.enter(), "long task");
    term.wait_for_text("hit your", RUN);
    home.wait_event("ResumeScheduled");
    wait_for_reach(&home, "needs_attention");
    home.ok(&["skip"]);

    let attention = home.wait_events("NeedsAttention", 1, WAIT).remove(0);
    let why = attention["message"].as_str().unwrap();
    assert!(why.contains("cannot reach"), "{why}");
    assert!(why.contains(&format!("pid {}", term.pid)), "{why}");
    assert!(why.contains(&reset.format("%H:%M").to_string()), "{why}");
    assert_eq!(fake.model_requests().len(), 1, "{}", fake.describe());
    assert!(home.events_of("ResumeCompleted").is_empty());
    assert!(!term.screen().contains("❯ continue"));
}

#[test]
fn a_user_who_exits_after_a_stop_is_never_resumed() {
    let fake = FakeProvider::start();
    fake.push(Reply::RateLimited {
        retry_after: Duration::from_secs(1),
    });
    fake.set_default(Reply::text(ANSWER));
    let hook = format!("{} hook claude", support::home::BIN);
    let mut claude = clients::claude(&fake.url())
        .hook("StopFailure", &hook)
        .hook("SessionEnd", &hook)
        .build();
    // A long backoff: the user leaves before the resume would happen.
    let home = Home::started_with(
        claude.sandbox.env(),
        &format!(
            "[resume]\nbackoff_base_secs = 20\nbackoff_max_secs = 20\njitter = false\n[claude]\nbinary = \"{}\"\n",
            clients::claude_bin().display()
        ),
    );
    claude
        .sandbox
        .set_env("PALINGENESIS_HOME", &home.palingenesis_home());
    let tmux = Tmux::start(
        claude.sandbox.dir.path(),
        "claude",
        &claude.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text("❯", RUN);
    submit(&|t| tmux.type_text(t), &|| tmux.key("Enter"), "long task");
    tmux.wait_for_text("429", RUN);
    home.wait_event("ResumeScheduled");

    submit(&|t| tmux.type_text(t), &|| tmux.key("Enter"), "/exit");
    let cancelled = home.wait_event("ResumeCancelled");
    assert!(
        cancelled["message"]
            .as_str()
            .unwrap()
            .contains("user ended"),
        "{cancelled}"
    );
    let listed = sessions(&home);
    assert_eq!(listed["sessions"][0]["state"], "done");
    let (code, _, err) = home.run(&["skip"]);
    assert_ne!(code, 0, "nothing is pending any more");
    assert!(err.contains("no stopped or waiting session"), "{err}");
    assert!(home.events_of("ResumeStarted").is_empty());
    assert_eq!(fake.model_requests().len(), 1);
}

/// Claude Code's own auto-continue (`autoContinueAtUsageLimit`) is armed after the limit: palingenesis stays
/// out, exactly one continuation reaches the provider (Claude's own, 50-110 s after the reset), and the audit
/// says so.
#[test]
fn claudes_own_auto_continue_is_left_to_continue_the_session() {
    let fake = FakeProvider::start();
    let hook = format!("{} hook claude", support::home::BIN);
    let builder = clients::claude(&fake.url())
        .setting("autoContinueAtUsageLimit", serde_json::json!(true))
        .hook("StopFailure", &hook)
        .hook("Notification", &hook);
    let (mut claude, reset) = limited_claude_with(&fake, builder);
    let home = daemon_for(&mut claude);
    let tmux = Tmux::start(
        claude.sandbox.dir.path(),
        "claude",
        &claude.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text("❯", RUN);
    submit(&|t| tmux.type_text(t), &|| tmux.key("Enter"), "long task");
    tmux.wait_for_text("continue automatically", RUN);

    let armed = home.wait_event("SelfContinueArmed");
    assert_eq!(armed["outcome"], "deferred", "{armed}");
    let state = sessions(&home);
    assert_eq!(state["sessions"][0]["state"], "self_continuing", "{state}");

    // Claude fires by itself some 50-110 s after the reset; palingenesis steps in only 180 s after that.
    let continued = home.wait_events("ResumeCancelled", 1, Duration::from_secs(240));
    assert_eq!(continued[0]["outcome"], "self_continued", "{continued:?}");
    tmux.wait_for_text(ANSWER, RUN);
    let reqs = fake.model_requests();
    assert_eq!(
        reqs.len(),
        2,
        "exactly one continuation: {}",
        fake.describe()
    );
    let prompt = reqs[1].last_user_text().unwrap_or_default();
    assert!(
        prompt.contains("usage limit has reset"),
        "Claude's own continuation, not palingenesis's: {prompt}"
    );
    assert!(Utc::now() > reset);
    assert!(home.events_of("ResumeStarted").is_empty());
    assert_eq!(claude.transcripts().len(), 1);
}

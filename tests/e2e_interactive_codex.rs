//! Resuming interactive Codex CLI where it lives, end to end: the real `codex` TUI against the fake provider's
//! usage-limit 429, the real daemon, and a terminal owned by the test (a tmux pane, or a test PTY under
//! `palingenesis run`). Codex opens its "switch to a cheaper model" menu after the limit: palingenesis closes it
//! with Esc (the model stays), types `continue` at the idle composer, and the provider gets the continuation on
//! the same thread. A menu with no safe way out is left open and a human is asked.

mod support;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use support::clients::codex::AppServers;
use support::clients::{self, Codex};
use support::fake_provider::{FakeProvider, RecordedRequest, Reply, Scripted, UsageLimit};
use support::home::Home;
use support::interactive::{Pane, sessions, wait_for_reach};
use support::pty::PtyTerm;
use support::tmux::Tmux;

const RUN: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(100);
const ANSWER: &str = "resumed where it stopped";
/// The empty composer's placeholder.
const IDLE: &str = "Ask Codex to do anything";
/// An entry of the menu Codex opens after a usage limit.
const MENU: &str = "Keep current model";

/// A Codex sandbox for the TUI; every request is answered with [`ANSWER`] unless a test scripts another.
fn tui_codex(fake: &FakeProvider) -> Codex {
    fake.set_default(Reply::text(ANSWER));
    clients::codex(&fake.v1_url()).tui().build()
}

/// A daemon with the sandbox's environment.
fn daemon_for(codex: &mut Codex) -> Home {
    support::interactive::daemon_for(&mut codex.sandbox, "codex", &clients::codex_bin())
}

fn thread_of(r: &RecordedRequest) -> Option<String> {
    r.header("thread-id")
        .or_else(|| r.header("session-id"))
        .map(str::to_owned)
}

/// Once Codex is ready, starts the turn "long task", which hits a usage limit resetting after `reset_in` (the
/// TUI's side requests, such as its thread title, are answered), and waits for Codex's menu. Returns the reset.
fn hit_the_limit(pane: &dyn Pane, fake: &FakeProvider, reset_in: Duration) -> DateTime<Utc> {
    pane.wait_for_text(IDLE, RUN);
    let limit = UsageLimit::session_in(reset_in);
    let reset = limit.resets_at;
    fake.push(
        Scripted::once(Reply::UsageLimit(limit))
            .when(|r| r.last_user_text().as_deref() == Some("long task")),
    );
    pane.submit("long task");
    pane.wait_for_text("hit your usage limit", RUN);
    pane.wait_for_text(MENU, RUN);
    reset
}

/// The resume reached the provider on the same thread, with the history, as the prompt "continue", on the
/// model the user chose (the menu's offer to switch was not taken).
fn assert_continued_on_the_same_thread(fake: &FakeProvider) {
    let reqs = fake.model_requests();
    let first = reqs
        .iter()
        .find(|r| r.last_user_text().as_deref() == Some("long task"))
        .unwrap_or_else(|| panic!("{}", fake.describe()));
    let resumed: Vec<&RecordedRequest> = reqs
        .iter()
        .filter(|r| r.last_user_text().as_deref() == Some("continue"))
        .collect();
    assert_eq!(resumed.len(), 1, "typed once: {}", fake.describe());
    assert!(resumed[0].body_contains("long task"), "with the history");
    assert!(thread_of(first).is_some());
    assert_eq!(thread_of(resumed[0]), thread_of(first), "same thread");
    assert_eq!(resumed[0].model(), Some("gpt-5.5"), "the model stays");
}

/// Waits for the resume to be typed and verified in `pane`, reached as `reach`.
fn assert_resumed_in(
    pane: &dyn Pane,
    home: &Home,
    fake: &FakeProvider,
    reach: &str,
    reset: DateTime<Utc>,
) {
    let scheduled = home.wait_event("ResumeScheduled");
    let at: DateTime<Utc> = scheduled["metadata"]["at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(at >= reset, "{at} before the reset {reset}");
    wait_for_reach(home, reach);
    // (Not the `reach` of ResumeStarted: when the resume is due the moment the stop is seen, the attempt can
    // start before the first probe reported the pane and the event still says "headless". The typed prompt on
    // the screen below is the proof.)
    home.wait_events("ResumeStarted", 1, WAIT);
    home.wait_events("ResumeCompleted", 1, WAIT);
    let screen = pane.wait_for_text(ANSWER, RUN);
    assert!(screen.contains("› continue"), "{screen}");
    assert!(!screen.contains(MENU), "{screen}");
    assert_continued_on_the_same_thread(fake);
    assert!(home.events_of("NeedsAttention").is_empty());
}

#[test]
fn in_a_tmux_pane_the_limit_menu_is_closed_and_the_prompt_typed() {
    let fake = FakeProvider::start();
    let mut codex = tui_codex(&fake);
    let _servers = AppServers(codex.codex_home.clone());
    let home = daemon_for(&mut codex);
    let tmux = Tmux::start(
        codex.sandbox.dir.path(),
        "codex",
        &codex.sandbox.shell_line(&[]),
    );
    let reset = hit_the_limit(&tmux, &fake, Duration::from_secs(10));
    assert_resumed_in(&tmux, &home, &fake, "tmux", reset);
    let listed = sessions(&home);
    assert_eq!(
        listed["sessions"][0]["key"]["assistant"], "codex",
        "{listed}"
    );
}

#[test]
fn under_palingenesis_run_the_prompt_is_typed_into_the_wrapped_codex() {
    let fake = FakeProvider::start();
    let mut codex = tui_codex(&fake);
    let _servers = AppServers(codex.codex_home.clone());
    let home = daemon_for(&mut codex);
    let bin = clients::codex_bin();
    let term = PtyTerm::spawn(
        Path::new(support::home::BIN),
        &["run", "--", bin.to_str().unwrap()],
        &codex.sandbox.cwd,
        codex.sandbox.env(),
        40,
        160,
    );
    let reset = hit_the_limit(&term, &fake, Duration::from_secs(10));
    assert_resumed_in(&term, &home, &fake, "pty", reset);
}

/// The user left a menu open that palingenesis must not answer (the model picker): no key is pressed, nothing
/// is typed, and a human is asked.
#[test]
fn a_menu_with_no_safe_way_out_is_left_open_and_a_human_asked() {
    let fake = FakeProvider::start();
    let mut codex = tui_codex(&fake);
    let _servers = AppServers(codex.codex_home.clone());
    let home = daemon_for(&mut codex);
    let tmux = Tmux::start(
        codex.sandbox.dir.path(),
        "codex",
        &codex.sandbox.shell_line(&[]),
    );
    // Long enough for the user to open the picker before the resume is due.
    hit_the_limit(&tmux, &fake, Duration::from_secs(15));
    home.wait_event("ResumeScheduled");
    // The user closes Codex's menu and opens the model picker instead.
    tmux.press("Escape");
    tmux.wait_for_text(IDLE, RUN);
    tmux.submit("/model");
    tmux.wait_for_text("Select Model", RUN);

    let attention = home.wait_events("NeedsAttention", 1, WAIT).remove(0);
    let why = attention["message"].as_str().unwrap();
    assert!(why.contains("menu palingenesis does not answer"), "{why}");
    assert!(why.contains("tmux pane"), "{why}");
    let screen = tmux.screen();
    assert!(screen.contains("Select Model"), "still open: {screen}");
    assert!(!screen.contains("continue"), "{screen}");
    assert!(
        fake.model_requests()
            .iter()
            .all(|r| r.last_user_text().as_deref() != Some("continue")),
        "{}",
        fake.describe()
    );
    assert!(home.events_of("ResumeCompleted").is_empty());
}

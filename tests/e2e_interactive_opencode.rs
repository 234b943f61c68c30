//! Resuming interactive opencode where it lives, end to end: the real `opencode` TUI in a tmux pane against the
//! fake provider, the real daemon (which sees the stop in opencode's database). A 429 outlasts opencode's own
//! five retries; palingenesis types `continue` at the idle prompt and the provider gets it with the history.
//! A turn the user started meanwhile is never typed into: the prompt goes in only once that turn ended.

mod support;

use std::time::Duration;

use support::clients::{self, Opencode};
use support::fake_provider::{
    FakeProvider, OPENCODE_TITLE_MARKER, RecordedRequest, Reply, Scripted,
};
use support::home::Home;
use support::interactive::{FAST, Pane, sessions, wait_for_reach};
use support::tmux::Tmux;

/// opencode's TUI takes long to draw its first screen on a loaded machine.
const START: Duration = Duration::from_secs(120);
const RUN: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(100);
const ANSWER: &str = "resumed where it stopped";
/// The error opencode shows once its retries are spent (the fake's 429 message).
const REFUSED: &str = "Rate limit reached for requests";
/// What the box's agent line shows; drawn once the TUI is ready.
const READY: &str = "Fake model Fake provider";

/// A daemon with the sandbox's environment; `resume` replaces the quick `[resume]` settings.
fn daemon_for(oc: &Opencode, resume: &str) -> Home {
    Home::started_with(
        oc.sandbox.env(),
        &format!(
            "{resume}\n[opencode]\nbinary = \"{}\"\n",
            clients::opencode_bin().display()
        ),
    )
}

fn opencode_in_tmux(oc: &Opencode) -> Tmux {
    let tmux = Tmux::start(
        oc.sandbox.dir.path(),
        "opencode",
        &oc.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text(READY, START);
    tmux
}

/// Starts the turn "long task", refused six times (opencode's own retries spent), and waits for the error.
fn refused_turn(tmux: &Tmux, fake: &FakeProvider) {
    fake.push(
        Scripted::once(Reply::rate_limited(Duration::from_millis(20)))
            .unless_body_contains(OPENCODE_TITLE_MARKER)
            .times(6),
    );
    tmux.submit("long task");
    tmux.wait_for_text(REFUSED, RUN);
}

fn turns(fake: &FakeProvider) -> Vec<RecordedRequest> {
    fake.model_requests()
        .into_iter()
        .filter(|r| !r.body_contains(OPENCODE_TITLE_MARKER))
        .collect()
}

fn continuations(fake: &FakeProvider) -> Vec<RecordedRequest> {
    turns(fake)
        .into_iter()
        .filter(|r| r.last_user_text().as_deref() == Some("continue"))
        .collect()
}

#[test]
fn in_a_tmux_pane_opencode_is_typed_into_once_its_retries_gave_up() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text(ANSWER));
    let oc = clients::opencode(&fake.v1_url()).build();
    let home = daemon_for(&oc, FAST);
    let tmux = opencode_in_tmux(&oc);
    refused_turn(&tmux, &fake);

    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "rate_limit", "{stop}");
    home.wait_event("ResumeScheduled");
    wait_for_reach(&home, "tmux");
    home.wait_events("ResumeCompleted", 1, WAIT);
    let screen = tmux.wait_for_text(ANSWER, RUN);
    assert!(screen.contains("┃  continue"), "{screen}");

    let resumed = continuations(&fake);
    assert_eq!(resumed.len(), 1, "typed once: {}", fake.describe());
    assert!(resumed[0].body_contains("long task"), "with the history");
    let listed = sessions(&home);
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["sessions"][0]["reach"], "tmux", "{listed}");
    assert!(home.events_of("NeedsAttention").is_empty());
}

/// After the stop the user starts another, slow turn, and the resume falls due while it runs (the daemon was
/// paused until then). palingenesis does not type while opencode works: `continue` reaches the provider, if at
/// all, only after the slow turn's answer.
#[test]
fn nothing_is_typed_while_a_turn_runs() {
    const SLOW: &str = "the slow answer";
    let fake = FakeProvider::start();
    fake.set_default(Reply::text(ANSWER));
    let oc = clients::opencode(&fake.v1_url()).build();
    let home = daemon_for(&oc, FAST);
    home.ok(&["pause"]);
    let tmux = opencode_in_tmux(&oc);
    refused_turn(&tmux, &fake);
    home.wait_event("ResumeScheduled");
    wait_for_reach(&home, "tmux");

    fake.push(
        Scripted::once(Reply::text(SLOW).delayed(Duration::from_secs(12)))
            .unless_body_contains(OPENCODE_TITLE_MARKER),
    );
    tmux.submit("slow task");
    tmux.wait_for_text("esc interrupt", RUN);
    home.ok(&["resume"]);
    home.wait_event("ResumeStarted");
    assert!(
        !tmux.screen().contains(SLOW),
        "the attempt started while the turn ran"
    );
    tmux.wait_for_text(SLOW, RUN);

    // Whatever the daemon does next (type once the turn ended, or take the turn as the session's progress),
    // it did not type into the running turn.
    support::home::wait_until(WAIT, || {
        !home.events_of("ResumeCompleted").is_empty() || !home.events_of("ResumeFailed").is_empty()
    });
    for r in continuations(&fake) {
        assert!(
            r.body_contains(SLOW),
            "typed before the running turn ended: {}",
            fake.describe()
        );
    }
    assert!(continuations(&fake).len() <= 1, "{}", fake.describe());
    assert!(home.events_of("NeedsAttention").is_empty());
}

//! Resuming interactive Qwen Code where it lives, end to end: the real `qwen` TUI in a tmux pane against the
//! fake provider's quota 429 (which Qwen gives up on at once), the real daemon (which sees the stop in the chat
//! file). palingenesis types `continue` at the idle input after the reset and the provider gets it with the
//! history.

mod support;

use std::time::Duration;

use support::clients;
use support::fake_provider::{FakeProvider, Reply, Scripted};
use support::interactive::{Pane, wait_for_reach};
use support::tmux::Tmux;

const START: Duration = Duration::from_secs(90);
const RUN: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(100);
const ANSWER: &str = "resumed where it stopped";
/// The empty input's placeholder.
const IDLE: &str = "Type your message or @path/to/file";

#[test]
fn in_a_tmux_pane_qwen_is_typed_into_after_its_quota_resets() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text(ANSWER));
    let mut qwen = clients::qwen(&fake.v1_url()).build();
    let home = support::interactive::daemon_for(&mut qwen.sandbox, "qwen", &clients::qwen_bin());
    let tmux = Tmux::start(
        qwen.sandbox.dir.path(),
        "qwen",
        &qwen.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text(IDLE, START);
    fake.push(
        Scripted::once(clients::qwen::quota_exhausted("10s"))
            .when(|r| r.last_user_text().is_some_and(|t| t.contains("long task"))),
    );
    tmux.submit("long task");
    tmux.wait_for_text("Quota exhausted", RUN);

    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "usage_limit", "{stop}");
    home.wait_event("ResumeScheduled");
    wait_for_reach(&home, "tmux");
    home.wait_events("ResumeCompleted", 1, WAIT);
    let screen = tmux.wait_for_text(ANSWER, RUN);
    assert!(screen.contains("> continue"), "{screen}");

    let resumed: Vec<_> = fake
        .model_requests()
        .into_iter()
        .filter(|r| r.last_user_text().is_some_and(|t| t.contains("continue")))
        .collect();
    assert_eq!(resumed.len(), 1, "typed once: {}", fake.describe());
    assert!(resumed[0].body_contains("long task"), "with the history");
    assert_eq!(qwen.chats().len(), 1, "the same chat continues");
    assert!(home.events_of("NeedsAttention").is_empty());
}

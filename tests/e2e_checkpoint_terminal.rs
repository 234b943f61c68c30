//! The early checkpoint typed into an interactive agent's terminal: the real `qwen` TUI in a tmux pane against
//! the fake provider, which reports a prompt past the `[checkpoint]` threshold; Qwen Code records it with its
//! window in the chat file, and palingenesis types the checkpoint request at the idle input once. The same
//! for the real `claude` TUI run without palingenesis's hooks (the default until `palingenesis hooks
//! install`): no Stop hook will ask it, so it is typed to like any other.

mod support;

use std::time::Duration;

use support::clients;
use support::fake_provider::{FakeProvider, Reply, Scripted, Turn};
use support::interactive::Pane;
use support::interactive::daemon_with;
use support::tmux::Tmux;

const START: Duration = Duration::from_secs(90);
/// The empty input's placeholder.
const IDLE: &str = "Type your message or @path/to/file";
/// Words of the default checkpoint request.
const ASKED: &str = "the checkpoint threshold is";
/// Checkpoints on, at half the window.
const CHECKPOINT: &str = "[checkpoint]\nenabled = true\nthreshold_percent = 50\n";

#[test]
fn an_idle_interactive_agent_is_typed_the_checkpoint_request_once() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text("noted"));
    let mut qwen = clients::qwen(&fake.v1_url()).build();
    // 140,000 of Qwen Code's 262,144-token window: past the 50% threshold.
    fake.push(
        Scripted::once(Reply::Turn(
            Turn::text("half the repository read").input_tokens(140_000),
        ))
        .when(|r| {
            r.last_user_text()
                .is_some_and(|t| t.contains("read it all"))
        }),
    );
    let home = daemon_with(&mut qwen.sandbox, "qwen", &clients::qwen_bin(), CHECKPOINT);
    let tmux = Tmux::start(
        qwen.sandbox.dir.path(),
        "qwen",
        &qwen.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text(IDLE, START);
    tmux.submit("read it all");

    let asked = home.wait_event("CheckpointRequested");
    assert_eq!(asked["outcome"], "asked", "{asked}");
    assert_eq!(asked["metadata"]["how"], "tmux");
    assert_eq!(asked["metadata"]["window_tokens"], 262_144);
    support::interactive::assert_checkpoint_asked_once(&fake, &home, &tmux, ASKED, "noted");
}

#[test]
fn claude_without_hooks_is_typed_the_checkpoint_request_once() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text("noted"));
    // 550,000 of the 1,000,000-token window of Claude Code's default model (Opus 5.5): past the 50%
    // threshold, below its own auto-compaction.
    fake.push(
        Scripted::once(Reply::Turn(
            Turn::text("half the repository read").input_tokens(550_000),
        ))
        .when(|r| {
            r.last_user_text()
                .is_some_and(|t| t.contains("read it all"))
        })
        .always(),
    );
    let mut claude = clients::claude(&fake.url()).build();
    let home = daemon_with(
        &mut claude.sandbox,
        "claude",
        &clients::claude_bin(),
        CHECKPOINT,
    );
    let tmux = Tmux::start(
        claude.sandbox.dir.path(),
        "claude",
        &claude.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text("❯", START);
    tmux.submit("read it all");

    let asked = home.wait_event("CheckpointRequested");
    assert_eq!(asked["outcome"], "asked", "{asked}");
    assert_eq!(asked["metadata"]["how"], "tmux");
    assert_eq!(asked["metadata"]["window_tokens"], 1_000_000);
    support::interactive::assert_checkpoint_asked_once(&fake, &home, &tmux, ASKED, "noted");
}

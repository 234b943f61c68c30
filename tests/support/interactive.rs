//! What the tests of resuming an agent in its own terminal share: quick resume settings, the daemon's view of
//! a session's reach, and typing the way a person does.

use std::time::Duration;

use super::home::Home;

/// Quick, deterministic resume settings.
pub const FAST: &str = "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nreset_margin_secs = 2\nverify_timeout_secs = 60\n";

/// `palingenesis sessions --json`.
pub fn sessions(home: &Home) -> serde_json::Value {
    serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap()
}

/// Waits until the first session's reach is `reach` (`tmux`, `pty`, `needs_attention`).
pub fn wait_for_reach(home: &Home, reach: &str) {
    super::home::wait_until(Duration::from_secs(30), || {
        sessions(home)["sessions"][0]["reach"] == reach
    });
}

/// Types a prompt the way a person does: text, a pause, Enter.
pub fn submit(term: &dyn Fn(&str), enter: &dyn Fn(), text: &str) {
    term(text);
    std::thread::sleep(Duration::from_millis(400));
    enter();
}

/// A terminal the test types into: a tmux pane or a test PTY (e.g. under `palingenesis run`).
pub trait Pane {
    fn type_text(&self, text: &str);
    /// `Enter` or `Escape`.
    fn press(&self, key: &str);
    fn screen(&self) -> String;
    fn wait_for_text(&self, needle: &str, timeout: Duration) -> String;

    /// Types `text` the way a person does: text, a pause, Enter.
    fn submit(&self, text: &str) {
        submit(&|t| self.type_text(t), &|| self.press("Enter"), text);
    }
}

impl Pane for super::tmux::Tmux {
    fn type_text(&self, text: &str) {
        super::tmux::Tmux::type_text(self, text);
    }
    fn press(&self, key: &str) {
        self.key(key);
    }
    fn screen(&self) -> String {
        self.capture()
    }
    fn wait_for_text(&self, needle: &str, timeout: Duration) -> String {
        super::tmux::Tmux::wait_for_text(self, needle, timeout)
    }
}

impl Pane for super::pty::PtyTerm {
    fn type_text(&self, text: &str) {
        super::pty::PtyTerm::type_text(self, text);
    }
    fn press(&self, key: &str) {
        match key {
            "Enter" => self.enter(),
            "Escape" => super::pty::PtyTerm::type_text(self, "\x1b"),
            other => panic!("no key {other} on a test PTY"),
        }
    }
    fn screen(&self) -> String {
        super::pty::PtyTerm::screen(self)
    }
    fn wait_for_text(&self, needle: &str, timeout: Duration) -> String {
        super::pty::PtyTerm::wait_for_text(self, needle, timeout)
    }
}

/// A daemon with [`FAST`] settings and `sandbox`'s environment, running `assistant` from `binary`; the sandbox
/// learns where it is (for `palingenesis run`).
pub fn daemon_for(
    sandbox: &mut super::clients::Sandbox,
    assistant: &str,
    binary: &std::path::Path,
) -> Home {
    daemon_with(sandbox, assistant, binary, "")
}

/// [`daemon_for`] with `extra` sections in its config.
pub fn daemon_with(
    sandbox: &mut super::clients::Sandbox,
    assistant: &str,
    binary: &std::path::Path,
    extra: &str,
) -> Home {
    let home = Home::started_with(
        sandbox.env(),
        &format!(
            "{FAST}\n{extra}\n[{assistant}]\nbinary = \"{}\"\n",
            binary.display()
        ),
    );
    sandbox.set_env("PALINGENESIS_HOME", &home.palingenesis_home());
    home
}

/// The agent in `pane` was sent the checkpoint request (a prompt containing `asked`) exactly once and answered
/// it (`answer` on its screen), and the daemon recorded exactly one `CheckpointRequested`.
pub fn assert_checkpoint_asked_once(
    fake: &super::fake_provider::FakeProvider,
    home: &Home,
    pane: &dyn Pane,
    asked: &str,
    answer: &str,
) {
    let run = Duration::from_secs(60);
    let is_asked = |r: &super::fake_provider::RecordedRequest| {
        r.last_user_text().is_some_and(|t| t.contains(asked))
    };
    let sent = || fake.model_requests().iter().any(is_asked);
    assert!(
        super::wait::wait_until(run, sent),
        "the checkpoint request never reached the provider; the agent's screen:\n{}\n{}\nlog:\n{}",
        pane.screen(),
        fake.describe(),
        home.log()
    );
    pane.wait_for_text(answer, run);
    // A later request proves the daemon has read the agent's records of the answer too.
    home.ok(&["status"]);
    let sent = fake.model_requests().iter().filter(|r| is_asked(r)).count();
    assert_eq!(sent, 1, "{}", fake.describe());
    assert_eq!(home.events_of("CheckpointRequested").len(), 1);
}

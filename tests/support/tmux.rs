//! A private tmux server (own socket) running one client interactively, for tests that type into
//! a live pane the way palingenesis's tmux resumer does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::wait::wait_until;

/// A tmux server with one session; the server is killed when dropped.
#[derive(Debug)]
pub struct Tmux {
    pub socket: PathBuf,
    /// The pane target, `<session>:0.0`.
    pub target: String,
}

impl Tmux {
    /// Starts a detached 160x40 session named `session` on a socket inside `dir`, running
    /// `shell_line` (see [`Sandbox::shell_line`](super::clients::Sandbox::shell_line)).
    pub fn start(dir: &Path, session: &str, shell_line: &str) -> Tmux {
        let tmux = Tmux {
            socket: dir.join("tmux.sock"),
            target: format!("{session}:0.0"),
        };
        let out = tmux
            .cmd()
            .args([
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                "160",
                "-y",
                "40",
                shell_line,
            ])
            .output()
            .expect("run tmux (install it with scripts/install-test-deps.sh)");
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket);
        c
    }

    /// The pane's visible text.
    pub fn capture(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", &self.target])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` literally (no Enter). Send Enter separately: text and Enter in one burst can
    /// be taken as a paste and left unsubmitted.
    pub fn type_text(&self, text: &str) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", &self.target, "-l", text])
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// Presses a key (`Enter`, `Escape`, `C-c`, …).
    pub fn key(&self, key: &str) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", &self.target, key])
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// Waits until the pane shows `needle`; panics with the screen after `timeout`.
    pub fn wait_for_text(&self, needle: &str, timeout: Duration) -> String {
        let mut screen = String::new();
        let found = wait_until(timeout, || {
            screen = self.capture();
            screen.contains(needle)
        });
        assert!(
            found,
            "pane never showed {needle:?} within {timeout:?}; screen:\n{screen}"
        );
        screen
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}

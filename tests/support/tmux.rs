//! A private tmux server (own socket) running one client interactively, for tests that type into
//! a live pane the way palingenesis's tmux resumer does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::wait::wait_until;

/// A tmux server with one session; the server is killed when dropped, and the drop waits (up to
/// 10 s) for the pane's process to exit, so the client's last writes (interactive Claude appends
/// `last-prompt`, `mode` and `permission-mode` lines when it gets SIGHUP) land before the
/// sandbox is removed.
#[derive(Debug)]
pub struct Tmux {
    pub socket: PathBuf,
    /// The pane target, `<session>:0.0`.
    pub target: String,
    /// The pid of the pane's process (the client, as the shell line `exec`s it).
    pub pane_pid: Option<i32>,
}

impl Tmux {
    /// Starts a detached 160x40 session named `session` on a socket inside `dir`, running
    /// `shell_line` (see [`Sandbox::shell_line`](super::clients::Sandbox::shell_line)).
    pub fn start(dir: &Path, session: &str, shell_line: &str) -> Tmux {
        let mut tmux = Tmux {
            socket: dir.join("tmux.sock"),
            target: format!("{session}:0.0"),
            pane_pid: None,
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
        let pid = tmux
            .cmd()
            .args(["display-message", "-p", "-t", &tmux.target, "#{pane_pid}"])
            .output()
            .expect("tmux display-message");
        tmux.pane_pid = String::from_utf8_lossy(&pid.stdout).trim().parse().ok();
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
        if let Some(pid) = self.pane_pid {
            let pid = nix::unistd::Pid::from_raw(pid);
            wait_until(Duration::from_secs(10), || {
                nix::sys::signal::kill(pid, None).is_err()
            });
        }
    }
}

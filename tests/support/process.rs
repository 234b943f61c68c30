//! Running a client to completion under a timeout, killing it (and everything it started) if it
//! hangs.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::Value;

/// How a client run ended, with everything it printed.
#[derive(Debug)]
pub struct ClientRun {
    /// The command line, for messages.
    pub command: String,
    /// None when it was killed for running past its timeout.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub timed_out: bool,
}

impl ClientRun {
    /// Exit code, if it exited on its own.
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// Every stdout line that parses as JSON (JSONL output such as `codex exec --json`).
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l.trim()).ok())
            .collect()
    }

    /// Stdout parsed as one JSON document (e.g. `claude -p --output-format json`); panics with the
    /// run's output otherwise.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.report()))
    }

    /// A multi-line report of the run for assertion messages.
    pub fn report(&self) -> String {
        format!(
            "command: {}\nstatus: {:?} (timed out: {}) after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.status, self.timed_out, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` (stdout and stderr captured; stdin as configured, set it to null for clients)
/// and waits at most `timeout`; on timeout the whole process group is killed and the result has
/// `timed_out` set.
pub fn try_run_with_timeout(mut cmd: Command, timeout: Duration) -> ClientRun {
    let command = format!("{cmd:?}");
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start {command}: {e}"));
    let pgid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits i32"));
    let stdout = reader(child.stdout.take().expect("piped stdout"));
    let stderr = reader(child.stderr.take().expect("piped stderr"));
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let (status, timed_out) = match rx.recv_timeout(timeout) {
        Ok(status) => (Some(status.expect("wait for child")), false),
        Err(_) => {
            let _ = killpg(pgid, Signal::SIGKILL);
            let _ = rx.recv();
            (None, true)
        }
    };
    // Helpers the client left in its group would keep the pipes open; end them.
    let _ = killpg(pgid, Signal::SIGKILL);
    let _ = waiter.join();
    ClientRun {
        command,
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed: start.elapsed(),
        timed_out,
    }
}

/// Like [`try_run_with_timeout`], but panics (with the output so far) if the timeout passes.
pub fn run_with_timeout(cmd: Command, timeout: Duration) -> ClientRun {
    let run = try_run_with_timeout(cmd, timeout);
    assert!(
        !run.timed_out,
        "client hung past {timeout:?}:\n{}",
        run.report()
    );
    run
}

fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

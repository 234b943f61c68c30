//! Agents in tmux panes. The pane is found from the process tree only: the agent's ancestors lead to a tmux
//! server; the ancestor just below the server is the pane's process, and `tmux list-panes` (asked on the
//! server's own listening socket) must list exactly that pid, still with the same start time, on the agent's
//! terminal. Pane titles, names and guesses play no part.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{Key, Terminal, TerminalError};
use crate::procfs::{self as proc, ProcId, Stat};

/// How long one tmux command may take.
const TMUX_TIMEOUT: Duration = Duration::from_secs(5);

/// A tmux pane proven to hold an agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TmuxPane {
    /// The tmux server's socket (passed as `-S`).
    pub socket: PathBuf,
    /// `%3`.
    pub pane_id: String,
    /// The pane's own process (the agent itself, or the shell that started it).
    pub pane_process: ProcId,
    /// The pane's terminal (`/dev/pts/4`).
    pub tty: PathBuf,
    /// What tmux says runs in the pane's foreground, for messages.
    pub current_command: String,
}

/// One line of `list-panes -F` as [`PANE_FORMAT`] asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaneLine {
    pub pane_id: String,
    pub pane_pid: u32,
    pub tty: PathBuf,
    pub current_command: String,
}

/// The `list-panes -F` format [`parse_panes`] reads.
pub const PANE_FORMAT: &str = "#{pane_id}\t#{pane_pid}\t#{pane_tty}\t#{pane_current_command}";

/// Parse `tmux list-panes -a -F PANE_FORMAT` output; malformed lines are skipped.
pub fn parse_panes(text: &str) -> Vec<PaneLine> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            let pane_id = f.next()?.to_string();
            let pane_pid = f.next()?.parse().ok()?;
            let tty = PathBuf::from(f.next()?);
            let current_command = f.next().unwrap_or_default().to_string();
            pane_id.starts_with('%').then_some(PaneLine {
                pane_id,
                pane_pid,
                tty,
                current_command,
            })
        })
        .collect()
}

/// The tmux server among `lineage` (the agent first, then its ancestors) and the pane process right below it.
pub fn server_and_pane_process(lineage: &[Stat]) -> Option<(&Stat, &Stat)> {
    let i = lineage
        .iter()
        .position(|s| s.comm.starts_with("tmux"))
        .filter(|i| *i >= 1)?;
    Some((&lineage[i], &lineage[i - 1]))
}

/// The pane holding the agent whose `lineage` is given (blocking: reads `/proc`, runs `tmux`).
pub fn pane_of(lineage: &[Stat]) -> Option<TmuxPane> {
    let agent = lineage.first()?;
    let (server, pane_process) = server_and_pane_process(lineage)?;
    for socket in proc::listening_unix_sockets(server.pid) {
        let Some(out) = run_blocking(&socket, &["list-panes", "-a", "-F", PANE_FORMAT]) else {
            continue;
        };
        let Some(line) = parse_panes(&out)
            .into_iter()
            .find(|p| p.pane_pid == pane_process.pid)
        else {
            continue;
        };
        let same_process = ProcId::of(line.pane_pid) == Some(pane_process.id());
        if same_process && proc::is_tty(&line.tty, agent.tty_nr) {
            return Some(TmuxPane {
                socket,
                pane_id: line.pane_id,
                pane_process: pane_process.id(),
                tty: line.tty,
                current_command: line.current_command,
            });
        }
        tracing::debug!(pane = %line.pane_id, same_process, "tmux pane does not prove to hold the agent");
    }
    None
}

fn run_blocking(socket: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

impl TmuxPane {
    async fn tmux(&self, args: &[&str]) -> Result<String, TerminalError> {
        let run = tokio::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(TMUX_TIMEOUT, run)
            .await
            .map_err(|_| TerminalError::new(format!("tmux {} timed out", args[0])))?
            .map_err(|e| TerminalError::new(format!("running tmux: {e}")))?;
        if !out.status.success() {
            return Err(TerminalError::new(format!(
                "tmux {} on pane {}: {}",
                args[0],
                self.pane_id,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Terminal for TmuxPane {
    fn describe(&self) -> String {
        format!("tmux pane {} ({})", self.pane_id, self.socket.display())
    }

    fn screen(&self) -> BoxFuture<'_, Result<String, TerminalError>> {
        async move {
            self.tmux(&["capture-pane", "-p", "-t", &self.pane_id])
                .await
        }
        .boxed()
    }

    fn send_text<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), TerminalError>> {
        async move {
            self.tmux(&["send-keys", "-t", &self.pane_id, "-l", text])
                .await
                .map(drop)
        }
        .boxed()
    }

    fn send_key(&self, key: Key) -> BoxFuture<'_, Result<(), TerminalError>> {
        let name = match key {
            Key::Enter => "Enter",
            Key::Escape => "Escape",
        };
        async move {
            self.tmux(&["send-keys", "-t", &self.pane_id, name])
                .await
                .map(drop)
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(pid: u32, comm: &str, ppid: u32) -> Stat {
        Stat {
            pid,
            comm: comm.into(),
            state: 'S',
            ppid,
            pgrp: pid as i32,
            session: pid as i32,
            tty_nr: 34816,
            tpgid: pid as i32,
            start_time: u64::from(pid) * 10,
        }
    }

    #[test]
    fn panes_parse_from_the_list_format() {
        let out = "%0\t28869\t/dev/pts/0\tclaude\n%12\t400\t/dev/pts/7\tbash\nnonsense\n";
        let panes = parse_panes(out);
        assert_eq!(panes.len(), 2);
        assert_eq!(
            panes[1],
            PaneLine {
                pane_id: "%12".into(),
                pane_pid: 400,
                tty: "/dev/pts/7".into(),
                current_command: "bash".into(),
            }
        );
    }

    #[test]
    fn the_pane_process_is_the_ancestor_right_below_the_server() {
        // claude started by a shell in the pane: claude → bash → tmux: server → init.
        let lineage = [
            stat(500, "claude", 400),
            stat(400, "bash", 300),
            stat(300, "tmux: server", 1),
            stat(1, "init", 0),
        ];
        let (server, pane) = server_and_pane_process(&lineage).unwrap();
        assert_eq!((server.pid, pane.pid), (300, 400));
        // exec'd straight into the pane: the agent is the pane process.
        let lineage = [stat(500, "claude", 300), stat(300, "tmux: server", 1)];
        assert_eq!(server_and_pane_process(&lineage).unwrap().1.pid, 500);
        // No tmux among the ancestors.
        let lineage = [stat(500, "claude", 400), stat(400, "sshd", 1)];
        assert!(server_and_pane_process(&lineage).is_none());
    }
}

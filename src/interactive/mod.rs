//! Resuming agents where they live: an interactive agent that stopped on a limit is still running at its prompt,
//! and a second, headless process on the same session would fight it. When its terminal is reachable (a
//! `palingenesis run` wrapper, or a tmux pane proven through the process tree) the resume prompt is typed there.
//!
//! - [`probe`] finds the agent's process and how its terminal can be reached ([`Reach`]).
//! - [`ScreenRules`] read an agent's screen (limit menu, retrying, busy, idle prompt); each assistant has its own.
//! - [`TerminalResumer`] is the [`crate::resume::Resumer`] that does it; [`deliver`] types the prompt safely into a [`Terminal`]: the [`tmux::TmuxPane`] or the wrapper's socket
//!   ([`crate::wrapper::client::WrapperTerminal`]).

mod deliver;
mod resumer;
mod screen;
pub mod tmux;

use futures::future::BoxFuture;

pub use deliver::{AgentCheck, DeliverError, Typing, deliver, foreground_check};
pub use resumer::TerminalResumer;
pub use screen::{ScreenFns, ScreenRules, ScreenState, holds_typed_text};

use crate::model::{Assistant, Locator};

use crate::procfs::{self as proc, AgentProcess, ProcId, Stat};
use crate::protocol::WrapperRegistration;
use tmux::TmuxPane;

/// A key palingenesis may press. There is deliberately no way to choose a menu entry.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Key {
    Enter,
    Escape,
}

impl Key {
    /// What the key sends to a terminal program in raw mode.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Key::Enter => b"\r",
            Key::Escape => b"\x1b",
        }
    }
}

/// Talking to a terminal failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TerminalError(pub String);

impl TerminalError {
    pub fn new(msg: impl Into<String>) -> Self {
        TerminalError(msg.into())
    }
}

/// A terminal an agent runs in, seen from the daemon: read its screen, type into it.
pub trait Terminal: Send + Sync {
    /// For messages: `tmux pane %3 (…)`, `palingenesis run wrapper w123`.
    fn describe(&self) -> String;
    /// The visible screen as text, rows separated by newlines.
    fn screen(&self) -> BoxFuture<'_, Result<String, TerminalError>>;
    /// Type `text` literally (no Enter).
    fn send_text<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), TerminalError>>;
    fn send_key(&self, key: Key) -> BoxFuture<'_, Result<(), TerminalError>>;
}

/// How a stopped session's agent can be reached, as far as the process tree proves it.
#[derive(Clone, Debug, PartialEq)]
pub enum Reach {
    /// No process of the agent holds the session: a headless resume is safe.
    Gone,
    /// The agent runs non-interactively (`claude -p`) and ends by itself.
    Exiting { pid: u32 },
    /// The agent runs under a `palingenesis run` wrapper.
    Pty {
        agent: ProcId,
        wrapper: WrapperRegistration,
    },
    /// The agent runs in a tmux pane.
    Tmux { agent: ProcId, pane: TmuxPane },
    /// The agent runs, but nothing palingenesis may type into reaches it.
    Unreachable { pid: u32, why: String },
}

impl Reach {
    /// The label `palingenesis sessions` shows: headless, pty, tmux or needs_attention.
    pub fn label(&self) -> &'static str {
        match self {
            Reach::Gone | Reach::Exiting { .. } => "headless",
            Reach::Pty { .. } => "pty",
            Reach::Tmux { .. } => "tmux",
            Reach::Unreachable { .. } => "needs_attention",
        }
    }
}

/// Find the session's agent process and how to reach it (blocking: reads `/proc`, may run `tmux`).
pub fn probe(
    assistant: Assistant,
    agent_process: &dyn AgentProcess,
    session_id: &str,
    locator: &Locator,
    wrappers: &[WrapperRegistration],
) -> Reach {
    let pids = proc::find_agents(agent_process, session_id, locator);
    if pids.is_empty() {
        return Reach::Gone;
    }
    let interactive: Vec<u32> = pids
        .iter()
        .copied()
        .filter(|pid| proc::cmdline(*pid).is_none_or(|args| agent_process.is_interactive(&args)))
        .collect();
    // One agent may be several processes (a launcher and the program it starts): count the innermost only.
    let interactive = proc::innermost(&interactive);
    let pid = match interactive.as_slice() {
        [] => return Reach::Exiting { pid: pids[0] },
        [one] => *one,
        many => {
            return Reach::Unreachable {
                pid: many[0],
                why: format!(
                    "{} interactive {assistant} processes ({}) run in the session's directory; which one holds it is not known",
                    many.len(),
                    many.iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        }
    };
    let lineage = proc::lineage(pid);
    let Some(agent) = lineage.first() else {
        // Alive (it was just found) but its process tree cannot be read here (no /proc).
        return Reach::Unreachable {
            pid,
            why: format!(
                "the agent (pid {pid}) is still running; palingenesis cannot inspect its terminal on this system"
            ),
        };
    };
    if !agent.running() {
        return Reach::Gone;
    }
    let reach = match wrapper_of(&lineage, wrappers) {
        Some(w) => Reach::Pty {
            agent: agent.id(),
            wrapper: w.clone(),
        },
        None => match tmux::pane_of(&lineage) {
            Some(pane) => Reach::Tmux {
                agent: agent.id(),
                pane,
            },
            None => {
                return Reach::Unreachable {
                    pid,
                    why: format!(
                        "the agent (pid {pid}) is still running in a terminal palingenesis cannot reach (not under `palingenesis run`, not in tmux)"
                    ),
                };
            }
        },
    };
    if !agent.in_foreground() {
        let place = match &reach {
            Reach::Tmux { pane, .. } => format!(
                "tmux pane {} (its foreground runs `{}`)",
                pane.pane_id, pane.current_command
            ),
            _ => "its `palingenesis run` terminal".to_string(),
        };
        return Reach::Unreachable {
            pid,
            why: format!(
                "the agent (pid {pid}) is not in the foreground of {place}; palingenesis types only into the agent itself"
            ),
        };
    }
    reach
}

/// The registered wrapper whose agent is `lineage[0]` or one of its ancestors, on the same terminal.
fn wrapper_of<'a>(
    lineage: &[Stat],
    wrappers: &'a [WrapperRegistration],
) -> Option<&'a WrapperRegistration> {
    let agent = lineage.first()?;
    wrappers.iter().find(|w| {
        lineage
            .iter()
            .any(|s| s.id() == w.agent && s.tty_nr == agent.tty_nr)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(pid: u32, ppid: u32, tty_nr: u64) -> Stat {
        Stat {
            pid,
            comm: "x".into(),
            state: 'S',
            ppid,
            pgrp: pid as i32,
            session: pid as i32,
            tty_nr,
            tpgid: pid as i32,
            start_time: u64::from(pid) + 7,
        }
    }

    fn wrapper(agent: ProcId) -> WrapperRegistration {
        WrapperRegistration {
            id: "w1".into(),
            wrapper_pid: 1,
            agent,
            cwd: "/w".into(),
            socket: "/run/w1.sock".into(),
            command: vec!["claude".into()],
        }
    }

    #[test]
    fn a_wrapper_reaches_its_agent_and_descendants_on_its_terminal_only() {
        let lineage = [stat(30, 20, 5), stat(20, 10, 5), stat(10, 1, 0)];
        // The wrapper started the agent itself.
        let w = [wrapper(lineage[0].id())];
        assert!(wrapper_of(&lineage, &w).is_some());
        // The wrapper started a shell, which started the agent.
        let w = [wrapper(lineage[1].id())];
        assert!(wrapper_of(&lineage, &w).is_some());
        // The same pid, but another process (start time differs).
        let w = [wrapper(ProcId {
            pid: 20,
            start_time: 1,
        })];
        assert!(wrapper_of(&lineage, &w).is_none());
        // An ancestor on another terminal (the agent opened its own).
        let w = [wrapper(lineage[2].id())];
        assert!(wrapper_of(&lineage, &w).is_none());
    }

    #[test]
    fn a_session_without_a_live_agent_is_headless() {
        let locator = Locator {
            pid: Some(u32::MAX - 3),
            ..Default::default()
        };
        let claude = crate::adapter::Adapter::process(&crate::assistants::claude::ADAPTER);
        let reach = probe(
            crate::assistants::claude::ASSISTANT,
            claude,
            "s",
            &locator,
            &[],
        );
        assert_eq!(reach, Reach::Gone);
        assert_eq!(reach.label(), "headless");
    }
}

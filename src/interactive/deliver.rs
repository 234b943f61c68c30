//! Typing the resume prompt into a live agent's terminal, safely: only while the agent itself is in the
//! terminal's foreground, only at an idle, empty prompt; the limit menu is dismissed with Esc (never answered);
//! nothing is typed while the agent retries or counts down by itself; text and Enter go as separate writes with
//! a pause, so the agent does not take them for a paste. A menu with no safe way out is left to a human.
//! Whether the turn then makes progress is for the engine to verify from the transcript.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::proc::{self, ProcId};
use super::screen::{ScreenRules, ScreenState};
use super::{Key, Terminal, TerminalError};

/// Timing of the typing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Typing {
    /// Pause between the text and its Enter.
    pub settle: Duration,
    /// How often the screen is looked at while waiting.
    pub poll: Duration,
    /// How long to wait for the agent to finish retrying or working before giving up this attempt.
    pub patience: Duration,
}

impl Default for Typing {
    fn default() -> Self {
        Typing {
            settle: Duration::from_millis(300),
            poll: Duration::from_millis(500),
            patience: Duration::from_secs(30),
        }
    }
}

/// Why the prompt was not typed (or not submitted).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliverError {
    #[error("{0}")]
    Terminal(#[from] TerminalError),
    #[error("the agent (pid {pid}) is gone")]
    AgentGone { pid: u32 },
    #[error(
        "the agent (pid {pid}) is not in the foreground of its terminal; palingenesis types only into the agent itself"
    )]
    NotForeground { pid: u32 },
    #[error("the agent was still {what} after {secs} s; not typing into it")]
    StillBusy { what: &'static str, secs: u64 },
    #[error("the agent's prompt holds unsent text ({0:?}); not typing over it")]
    Draft(String),
    #[error("{0}")]
    NeedsHuman(String),
    #[error("the limit menu stayed open after {0} Esc presses")]
    MenuStuck(u32),
    #[error(
        "the screen of {terminal} is not the agent's prompt; not typing into it. Last lines:\n{tail}"
    )]
    Unrecognised { terminal: String, tail: String },
    #[error("the typed prompt was not submitted (it is still in the input box)")]
    NotSubmitted,
    #[error("cancelled")]
    Cancelled,
}

/// Unknown screens are looked at this many times (the agent may be redrawing) before giving up.
const UNKNOWN_LOOKS: u32 = 6;
/// The prompt must look idle this many times in a row, a poll apart, before anything is typed: a menu can open
/// just after a turn ends (Codex 0.171.0's "Approaching rate limits" / "Switch to <model>" when a usage window
/// is past 90%), and keys typed into it are lost and Enter picks its first entry.
const IDLE_LOOKS: u32 = 2;
/// Esc presses, a poll apart, before a limit menu counts as stuck: a terminal capture can still show a menu the
/// agent has closed but not yet redrawn, and one menu can follow another.
const MAX_ESCAPES: u32 = 5;

/// Checked before every key sent: the agent still runs and is what the terminal's keyboard reaches.
pub type AgentCheck = dyn Fn() -> Result<(), DeliverError> + Send + Sync;

/// The real [`AgentCheck`]: `agent` (same pid, same start time) runs in the foreground of its terminal.
pub fn foreground_check(agent: ProcId) -> impl Fn() -> Result<(), DeliverError> + Send + Sync {
    move || match proc::stat(agent.pid) {
        Some(s) if s.id() == agent && s.running() => {
            if s.in_foreground() {
                Ok(())
            } else {
                Err(DeliverError::NotForeground { pid: agent.pid })
            }
        }
        _ => Err(DeliverError::AgentGone { pid: agent.pid }),
    }
}

/// Type `text` and Enter into `term`, where the agent runs; `in_front` guards every write. Returns once the
/// prompt left the input box.
pub async fn deliver(
    term: &dyn Terminal,
    rules: &dyn ScreenRules,
    in_front: &AgentCheck,
    text: &str,
    typing: Typing,
    cancel: &CancellationToken,
) -> Result<(), DeliverError> {
    let started = tokio::time::Instant::now();
    let (mut escapes, mut unknown, mut idle) = (0u32, 0u32, 0u32);
    loop {
        if cancel.is_cancelled() {
            return Err(DeliverError::Cancelled);
        }
        in_front()?;
        let shown = term.screen().await?;
        let state = rules.detect(&shown);
        debug!(terminal = %term.describe(), ?state, "agent screen");
        let waited = started.elapsed();
        if state != ScreenState::Idle {
            idle = 0;
        }
        match state {
            ScreenState::Idle if idle + 1 >= IDLE_LOOKS => break,
            ScreenState::Idle => idle += 1,
            ScreenState::LimitMenu if escapes >= MAX_ESCAPES => {
                return Err(DeliverError::MenuStuck(escapes));
            }
            ScreenState::LimitMenu => {
                info!(terminal = %term.describe(), "dismissing the agent's limit menu with Esc");
                term.send_key(Key::Escape).await?;
                escapes += 1;
            }
            ScreenState::Retrying | ScreenState::Busy if waited >= typing.patience => {
                return Err(DeliverError::StillBusy {
                    what: if state == ScreenState::Retrying {
                        "retrying by itself"
                    } else {
                        "working"
                    },
                    secs: waited.as_secs(),
                });
            }
            ScreenState::Retrying | ScreenState::Busy => {}
            ScreenState::Draft(draft) => return Err(DeliverError::Draft(draft)),
            ScreenState::NeedsHuman(why) => return Err(DeliverError::NeedsHuman(why)),
            ScreenState::Unknown if unknown + 1 >= UNKNOWN_LOOKS => {
                return Err(DeliverError::Unrecognised {
                    terminal: term.describe(),
                    tail: tail(&shown, 8),
                });
            }
            ScreenState::Unknown => unknown += 1,
        }
        pause(typing.poll, cancel).await?;
    }
    in_front()?;
    info!(terminal = %term.describe(), "typing the resume prompt");
    term.send_text(text).await?;
    pause(typing.settle, cancel).await?;
    in_front()?;
    term.send_key(Key::Enter).await?;
    confirm_submitted(term, rules, in_front, text, typing, cancel).await
}

/// After Enter the input box must not hold the text any more; one more Enter is tried if it still does.
/// The box may show a long prompt wrapped, in part, or folded into a placeholder, so whether it still holds
/// the typed text is for the assistant's rules to say ([`ScreenRules::holds_typed`]).
async fn confirm_submitted(
    term: &dyn Terminal,
    rules: &dyn ScreenRules,
    in_front: &AgentCheck,
    text: &str,
    typing: Typing,
    cancel: &CancellationToken,
) -> Result<(), DeliverError> {
    for look in 0..6 {
        pause(typing.poll, cancel).await?;
        let shown = term.screen().await?;
        let pending = rules
            .input_text(&shown)
            .is_some_and(|boxed| rules.holds_typed(&boxed, text));
        if !pending {
            return Ok(());
        }
        if look == 2 {
            in_front()?;
            debug!(terminal = %term.describe(), "prompt still in the input box; pressing Enter again");
            term.send_key(Key::Enter).await?;
        }
    }
    Err(DeliverError::NotSubmitted)
}

async fn pause(d: Duration, cancel: &CancellationToken) -> Result<(), DeliverError> {
    tokio::select! {
        _ = cancel.cancelled() => Err(DeliverError::Cancelled),
        _ = tokio::time::sleep(d) => Ok(()),
    }
}

fn tail(screen: &str, n: usize) -> String {
    let lines: Vec<&str> = screen
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests;

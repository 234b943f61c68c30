//! Typing an early-checkpoint request into the terminal of an interactive agent, when it is idle at its prompt:
//! its `palingenesis run` wrapper or its tmux pane, found by the same probe and typed by the same safe delivery
//! a resume uses ([`crate::interactive`]): never while it works or retries, over a draft, or into a menu.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::interactive::{self, Reach, Terminal, Typing};
use crate::model::{Locator, SessionKey};
use crate::protocol::WrapperRegistration;
use crate::wrapper::client::WrapperTerminal;

/// Where and how long to try.
pub(super) struct TerminalAsk {
    pub locator: Locator,
    pub wrappers: Vec<WrapperRegistration>,
    /// How long to wait for the agent to finish its turn.
    pub patience: Duration,
    pub cancel: CancellationToken,
}

/// Type `text` into the agent's terminal. `Ok(how)`: typed (`pty` or `tmux`); `Err(why)`: not asked.
pub(super) async fn ask(
    key: &SessionKey,
    text: &str,
    at: TerminalAsk,
) -> Result<&'static str, String> {
    let adapter = crate::assistants::get(key.assistant).ok_or("unknown assistant")?;
    let rules = adapter
        .screen()
        .ok_or_else(|| format!("palingenesis cannot read {}'s screen", key.assistant))?;
    let (assistant, id, locator, wrappers) =
        (key.assistant, key.id.clone(), at.locator, at.wrappers);
    let reach = crate::tasks::spawn_blocking(move || {
        interactive::probe(assistant, adapter.process(), &id, &locator, &wrappers)
    })
    .await
    .map_err(|e| e.to_string())?;
    let (term, agent, how): (Box<dyn Terminal>, _, _) = match reach {
        Reach::Pty { agent, wrapper } => (
            Box::new(WrapperTerminal {
                id: wrapper.id,
                socket: wrapper.socket,
            }),
            agent,
            "pty",
        ),
        Reach::Tmux { agent, pane } => (Box::new(pane), agent, "tmux"),
        Reach::Gone | Reach::Exiting { .. } => {
            return Err("its agent no longer runs interactively".into());
        }
        Reach::Unreachable { why, .. } => return Err(why),
    };
    let typing = Typing {
        patience: at.patience,
        ..Typing::default()
    };
    let in_front = interactive::foreground_check(agent);
    interactive::deliver(&*term, rules, &in_front, text, typing, &at.cancel)
        .await
        .map(|()| how)
        .map_err(|e| format!("{}: {e}", term.describe()))
}

//! Where a resume attempt acts, chosen per attempt from one probe of the agent: an agent that still runs is
//! resumed in its own terminal when that terminal is reachable (its `palingenesis run` wrapper, or a tmux pane
//! proven to hold it) by a [`TerminalResumer`]; an agent that runs where palingenesis cannot type needs a
//! human; only a session whose agent is gone is resumed by the assistant's headless resumer. Same decisions,
//! different resumers.

use std::time::Duration;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tracing::debug;

use super::EngineMsg;
use super::act::{AttemptEvent, AttemptJob};
use crate::interactive::{self, Reach, ScreenRules, Terminal, TerminalResumer, Typing};
use crate::procfs::ProcId;
use crate::resume::Resumer;
use crate::wrapper::client::WrapperTerminal;

/// How long to wait for a stopped agent's process to exit before deciding it lives on in a terminal.
const AGENT_EXIT_GRACE: Duration = Duration::from_secs(10);
/// One probe of the process tree may take this long (it may run `tmux`).
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which resumer the attempt uses, chosen from one probe of the agent.
pub(super) enum Route {
    /// No live agent: resume headless, as the assistant's resumer does.
    Headless,
    /// The agent lives in a terminal palingenesis can type into: this resumer types there.
    Terminal(Arc<dyn Resumer>),
    /// Handed to a human; the outcome was reported.
    Handled,
}

/// Probe the session's agent (blocking work off the runtime's threads).
pub(super) async fn probe(job: &AttemptJob) -> Reach {
    let (assistant, id, locator, wrappers) = (
        job.session.assistant,
        job.session.id.clone(),
        job.locator.clone(),
        job.wrappers.clone(),
    );
    let Some(adapter) = crate::assistants::get(assistant) else {
        return Reach::Unreachable {
            pid: 0,
            why: format!("palingenesis does not know the assistant `{assistant}`"),
        };
    };
    let work = crate::tasks::spawn_blocking(move || {
        interactive::probe(assistant, adapter.process(), &id, &locator, &wrappers)
    });
    match tokio::time::timeout(PROBE_TIMEOUT, work).await {
        Ok(Ok(reach)) => reach,
        _ => Reach::Unreachable {
            pid: 0,
            why: "looking for the agent's process did not finish".into(),
        },
    }
}

pub(super) async fn route(job: &AttemptJob) -> Route {
    let deadline = tokio::time::Instant::now() + AGENT_EXIT_GRACE;
    loop {
        let reach = probe(job).await;
        debug!(session = %job.session, ?reach, "agent probed");
        report_reach(job, &reach).await;
        let why = match (reach, screen_rules(job)) {
            (Reach::Gone, _) => return Route::Headless,
            (Reach::Pty { .. } | Reach::Tmux { .. }, _) if job.action.starts_new_session() => {
                "a new session cannot be started while the agent still runs in its terminal; start it there"
                    .to_string()
            }
            (Reach::Pty { .. } | Reach::Tmux { .. }, None) => {
                format!(
                    "the agent still runs in a reachable terminal, but palingenesis cannot read {}'s screen yet; resume it there",
                    job.session.assistant
                )
            }
            (Reach::Pty { agent, wrapper }, Some(rules)) => {
                let term = WrapperTerminal {
                    id: wrapper.id,
                    socket: wrapper.socket,
                };
                return terminal(job, Box::new(term), agent, rules);
            }
            (Reach::Tmux { agent, pane }, Some(rules)) => {
                return terminal(job, Box::new(pane), agent, rules);
            }
            (Reach::Exiting { pid }, _) => format!(
                "the agent (pid {pid}) is still running; resume it where it runs, or run it under `palingenesis run`"
            ),
            (Reach::Unreachable { why, .. }, _) => why,
        };
        if tokio::time::Instant::now() >= deadline {
            let why = match job.resets_at {
                Some(at) => format!("{why} (the limit resets at {})", when(at)),
                None => why,
            };
            let why = super::act::NeedsHuman::InTerminal(why);
            job.send(&job.session, AttemptEvent::NeedsAttention { why })
                .await;
            return Route::Handled;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// How the session's assistant's screen is read, if palingenesis can read it.
fn screen_rules(job: &AttemptJob) -> Option<&'static dyn ScreenRules> {
    crate::assistants::get(job.session.assistant).and_then(|a| a.screen())
}

/// The resumer that types into `term`, where the probe found `agent`.
fn terminal(
    job: &AttemptJob,
    term: Box<dyn Terminal>,
    agent: ProcId,
    rules: &'static dyn ScreenRules,
) -> Route {
    let patience = Duration::from_secs(job.config.resume.verify_timeout_secs / 2)
        .clamp(Duration::from_secs(5), Duration::from_secs(86_400));
    let typing = Typing {
        patience,
        ..Typing::default()
    };
    Route::Terminal(TerminalResumer::new(term, agent, rules, typing))
}

/// Tell the engine what the probe found, for `palingenesis sessions`.
async fn report_reach(job: &AttemptJob, reach: &Reach) {
    let _ = job
        .tx
        .send(EngineMsg::Reached {
            session: job.session.clone(),
            reach: reach.clone(),
        })
        .await;
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

//! One resume attempt, run as its own task: wait for the agent's process to let go, back up and seed when a
//! new session is wanted, call the assistant's resumer, and report every step back to the engine.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::EngineMsg;
use super::route::Route;
use crate::config::Config;
use crate::decide::Action;
use crate::model::{Locator, SessionKey, TurnOutcome};
use crate::paths::Paths;
use crate::resume::{ContinueRequest, ResumeError, Resumers, StartRequest};

#[derive(Debug)]
pub enum AttemptEvent {
    BackedUp {
        path: std::path::PathBuf,
    },
    BackupFailed {
        error: BackupFailure,
    },
    /// A new session replaces the old one; later events of this attempt concern the new session.
    NewSession {
        key: SessionKey,
        locator: Locator,
    },
    /// The attempt cannot act without a human.
    NeedsAttention {
        why: NeedsHuman,
    },
    Finished(Result<TurnOutcome, AttemptError>),
}

/// Why an attempt could not run its turn.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    #[error(transparent)]
    Resume(#[from] ResumeError),
}

/// Why an attempt leaves the session to a human.
#[derive(Debug, thiserror::Error)]
pub enum NeedsHuman {
    #[error("no resumer for {0}")]
    NoResumer(crate::model::Assistant),
    #[error("the session's working directory is unknown")]
    UnknownCwd,
    #[error(transparent)]
    Seed(#[from] SeedError),
    /// The agent still runs where palingenesis cannot (or must not) type; the text says where and what to do.
    #[error("{0}")]
    InTerminal(String),
}

/// Why the transcript could not be backed up before a new session replaced it.
#[derive(Debug, thiserror::Error)]
pub enum BackupFailure {
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    #[error("the backup was interrupted: {0}")]
    Interrupted(#[from] tokio::task::JoinError),
}

/// Why a new session has no prompt to start from.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{dir} has no {file} or workflow frontmatter to seed a new session")]
    NoNotes { dir: String, file: String },
    #[error(transparent)]
    NextStep(#[from] crate::nextstep::NextStepError),
    #[error("reading the next-step notes was interrupted: {0}")]
    Interrupted(#[from] tokio::task::JoinError),
}

pub struct AttemptJob {
    pub session: SessionKey,
    pub attempt_id: u64,
    pub action: Action,
    pub locator: Locator,
    pub env: crate::model::AgentEnv,
    pub config: Arc<Config>,
    pub paths: Paths,
    pub resumers: Resumers,
    pub tx: mpsc::Sender<EngineMsg>,
    pub cancel: CancellationToken,
    /// Registered `palingenesis run` wrappers, to reach an agent that still runs.
    pub wrappers: Vec<crate::protocol::WrapperRegistration>,
    /// When the usage limit that stopped the session resets, for messages to a human.
    pub resets_at: Option<DateTime<Utc>>,
    /// The engine's wall clock.
    pub clock: crate::clock::WallClock,
    /// Why the session stopped (`None`: nothing recorded, e.g. a new session a person asked for).
    pub stop: Option<crate::model::StopReason>,
}

impl AttemptJob {
    pub(super) async fn send(&self, session: &SessionKey, event: AttemptEvent) {
        let _ = self
            .tx
            .send(EngineMsg::Attempt {
                session: session.clone(),
                attempt_id: self.attempt_id,
                event,
            })
            .await;
    }
}

pub async fn run_attempt(job: AttemptJob) {
    let cancel = job.cancel.clone();
    tokio::select! {
        _ = cancel.cancelled() => debug!(session = %job.session, "attempt cancelled"),
        _ = attempt(&job) => {}
    }
}

async fn attempt(job: &AttemptJob) {
    // A session on a server is reached through the server, which is meant to keep running. Any other agent
    // that still runs is resumed in its own terminal, or left to a human; never beside it.
    let route = match job.locator.server_url {
        Some(_) => Route::Headless,
        None => super::route::route(job).await,
    };
    // A hand-off starts a session of another assistant, through that assistant's resumer.
    let runs = match job.action {
        Action::HandOff { to } => to,
        _ => job.session.assistant,
    };
    let (resumer, in_terminal) = match route {
        Route::Handled => return,
        Route::Terminal(resumer) => (resumer, true),
        Route::Headless => match job.resumers.get(runs) {
            Some(resumer) => (resumer, false),
            None => {
                let why = NeedsHuman::NoResumer(runs);
                job.send(&job.session, AttemptEvent::NeedsAttention { why })
                    .await;
                return;
            }
        },
    };
    // Typing into a terminal needs no working directory; a new process does.
    let cwd = match job.locator.cwd.clone() {
        Some(cwd) => cwd,
        None if in_terminal => std::path::PathBuf::new(),
        None => {
            let why = NeedsHuman::UnknownCwd;
            job.send(&job.session, AttemptEvent::NeedsAttention { why })
                .await;
            return;
        }
    };
    let result = match job.action {
        Action::SameSession | Action::Summarize => {
            let req = ContinueRequest {
                session_id: job.session.id.clone(),
                cwd,
                locator: job.locator.clone(),
                prompt: job.config.resume.prompt.clone(),
                env: job.env.clone(),
                summarize_first: job.action == Action::Summarize,
                cancel: job.cancel.clone(),
            };
            resumer.continue_session(req).await
        }
        Action::NewSession | Action::HandOff { .. } => {
            // A hand-off may have its own prompt (`[fallback] prompt_template`).
            let fallback = match job.action {
                Action::HandOff { .. } => {
                    job.config.fallback.for_project(Some(&cwd)).prompt_template
                }
                _ => None,
            };
            let template =
                fallback.unwrap_or_else(|| job.config.new_session.prompt_template.clone());
            let prompt = match seed_prompt(job, &cwd, &template).await {
                Ok(p) => p,
                Err(why) => {
                    let why = NeedsHuman::from(why);
                    job.send(&job.session, AttemptEvent::NeedsAttention { why })
                        .await;
                    return;
                }
            };
            // A hand-off leaves the stopped session's transcript in place: nothing replaces it.
            if job.action == Action::NewSession {
                backup(job).await;
            }
            start_new_session(job, resumer, runs, cwd, prompt).await;
            return;
        }
    };
    let event = match result {
        // A screen only a person should answer: asking again later would not help.
        Err(ResumeError::NeedsHuman(why)) => AttemptEvent::NeedsAttention {
            why: NeedsHuman::InTerminal(why),
        },
        result => AttemptEvent::Finished(result.map_err(AttemptError::from)),
    };
    job.send(&job.session, event).await;
}

/// Start a new session of `assistant` in `cwd` with `prompt`; its id is reported as soon as the resumer knows
/// it, and the turn's outcome then concerns the new session.
async fn start_new_session(
    job: &AttemptJob,
    resumer: std::sync::Arc<dyn crate::resume::Resumer>,
    assistant: crate::model::Assistant,
    cwd: std::path::PathBuf,
    prompt: String,
) {
    let (started_tx, mut started_rx) = mpsc::channel(1);
    let req = StartRequest {
        cwd,
        prompt,
        env: job.env.clone(),
        started: started_tx,
        cancel: job.cancel.clone(),
    };
    let run = resumer.start_session(req);
    tokio::pin!(run);
    let mut current = job.session.clone();
    loop {
        tokio::select! {
            // The new id first: a resumer may report it just before its turn ends.
            biased;
            Some((id, locator)) = started_rx.recv() => {
                let key = SessionKey::new(assistant, id);
                job.send(&current, AttemptEvent::NewSession { key: key.clone(), locator }).await;
                current = key;
            }
            result = &mut run => {
                job.send(&current, AttemptEvent::Finished(result.map_err(AttemptError::from))).await;
                return;
            }
        }
    }
}

async fn seed_prompt(
    job: &AttemptJob,
    cwd: &std::path::Path,
    template: &str,
) -> Result<String, SeedError> {
    let ns = &job.config.new_session;
    let cfg = crate::nextstep::SeedConfig {
        next_step_file: ns.next_step_file.clone(),
        workflow_files: ns.workflow_files.clone(),
        prompt_template: ns.prompt_template.clone(),
    };
    let dir = cwd.to_path_buf();
    // `{reason}` is filled here, before the notes go in, so the same word inside them stays as written.
    let template = template.replace("{reason}", why_replaced(job.stop.as_ref()));
    crate::tasks::spawn_blocking(move || match crate::nextstep::find_seed(&dir, &cfg) {
        Ok(Some(seed)) => Ok(crate::nextstep::render_prompt(&template, &seed, &dir)),
        Ok(None) => Err(SeedError::NoNotes {
            dir: dir.display().to_string(),
            file: cfg.next_step_file.clone(),
        }),
        Err(e) => Err(SeedError::from(e)),
    })
    .await?
}

/// How the prompt of a new session says why the previous one could not go on.
fn why_replaced(stop: Option<&crate::model::StopReason>) -> &'static str {
    use crate::model::StopReason;
    match stop {
        Some(StopReason::ContextExhausted) => "its context window filled up",
        Some(StopReason::UsageLimit { .. }) => "it reached a usage limit",
        Some(StopReason::RateLimit { .. }) => "it was rate limited",
        Some(StopReason::Transient { .. }) => "the model provider failed",
        Some(StopReason::NeedsHuman { .. } | StopReason::Unknown) => "it stopped with an error",
        Some(StopReason::UserExit | StopReason::Completed) | None => "a new session was asked for",
    }
}

async fn backup(job: &AttemptJob) {
    if !job.config.backup.enabled {
        return;
    }
    let Some(src) = job.locator.transcript.clone() else {
        return;
    };
    let dir = job.paths.backup_dir();
    let id = job.session.id.clone();
    let keep = job.config.backup.keep;
    let now = (job.clock)();
    let result = crate::tasks::spawn_blocking(move || {
        crate::backup::backup_file(&src, &dir, &id, keep, now)
    })
    .await
    .map_err(BackupFailure::from)
    .and_then(|r| r.map_err(BackupFailure::from));
    let event = match result {
        Ok(path) => AttemptEvent::BackedUp { path },
        Err(error) => {
            warn!(session = %job.session, %error, "backup failed; continuing without it");
            AttemptEvent::BackupFailed { error }
        }
    };
    job.send(&job.session, event).await;
}

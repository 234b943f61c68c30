//! Codex CLI, headless: `codex exec --skip-git-repo-check --json resume <thread_id> "<prompt>"` in the
//! session's own directory (never `resume --last`, which picks whatever session is newest there), and
//! `codex exec --skip-git-repo-check --json "<prompt>"` for a new session, whose thread id is reported as
//! soon as `thread.started` is printed. The `--json` events tell how the turn went.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::tz::Tz;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::assistants::codex::records::{ExecEvent, parse_exec_json_line};
use crate::classify::ClassifyContext;
use crate::model::AgentEnv;
use crate::model::{Locator, Signal, StopReason};
use crate::resume::command::{Headless, binary_or, prompt_arg};
use crate::resume::{ContinueRequest, ResumeError, Resumer, StartRequest, TurnOutcome};

pub struct CodexHeadless {
    program: PathBuf,
    extra_args: Vec<String>,
    env: BTreeMap<String, String>,
    timeout: Duration,
}

impl CodexHeadless {
    pub fn new(section: &super::config::Section, timeout: Duration) -> Arc<Self> {
        Arc::new(CodexHeadless {
            program: binary_or(&section.binary, "codex"),
            extra_args: section.extra_args.clone(),
            env: section.env.clone(),
            timeout,
        })
    }

    /// `codex exec --skip-git-repo-check --json <extra args> <tail…>`.
    fn args(&self, tail: impl IntoIterator<Item = String>) -> Vec<String> {
        let mut args = vec![
            "exec".to_string(),
            "--skip-git-repo-check".to_string(),
            "--json".to_string(),
        ];
        // `--last` would let Codex pick whichever session is newest in the directory.
        args.extend(self.extra_args.iter().filter(|a| *a != "--last").cloned());
        args.extend(tail);
        args
    }

    async fn run(
        &self,
        args: Vec<String>,
        cwd: PathBuf,
        agent_env: AgentEnv,
        cancel: CancellationToken,
        on_line: impl FnMut(&str) + Send,
    ) -> Result<TurnOutcome, ResumeError> {
        let done = Headless {
            program: &self.program,
            args,
            cwd: &cwd,
            agent_env: &agent_env,
            env: &self.env,
            timeout: self.timeout,
            cancel: &cancel,
        }
        .run_streaming(on_line)
        .await?;
        let tz = crate::tasks::spawn_blocking(crate::assistants::codex::source::codex_tz)
            .await
            .unwrap_or(Tz::UTC);
        let ctx = ClassifyContext::new(chrono::Utc::now(), tz);
        interpret_exec(&done.stdout, &done.stderr, done.code, &ctx)
    }
}

impl Resumer for CodexHeadless {
    fn continue_session(
        self: Arc<Self>,
        req: ContinueRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        async move {
            let args = self.args([
                "resume".to_string(),
                req.session_id,
                prompt_arg(&req.prompt),
            ]);
            self.run(args, req.cwd, req.env, req.cancel, |_| {}).await
        }
        .boxed()
    }

    fn start_session(
        self: Arc<Self>,
        req: StartRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        async move {
            let args = self.args([prompt_arg(&req.prompt)]);
            let started = req.started;
            let cwd = req.cwd.clone();
            let mut reported = false;
            let on_line = move |line: &str| {
                if reported {
                    return;
                }
                if let Ok(ExecEvent::ThreadStarted { thread_id }) = parse_exec_json_line(line) {
                    reported = true;
                    let locator = Locator {
                        cwd: Some(cwd.clone()),
                        ..Default::default()
                    };
                    // One report per run on a fresh channel: it cannot be full.
                    let _ = started.try_send((thread_id, locator));
                }
            };
            self.run(args, req.cwd, req.env, req.cancel, on_line).await
        }
        .boxed()
    }
}

/// Read `codex exec --json` output: the last `turn.completed` / `turn.failed` decides. Without either, a
/// clean exit says nothing (the rollout will tell), and a failed one is classified from stderr, or is an
/// error naming its last line.
pub fn interpret_exec(
    stdout: &str,
    stderr: &str,
    code: Option<i32>,
    ctx: &ClassifyContext,
) -> Result<TurnOutcome, ResumeError> {
    let verdict = stdout
        .lines()
        .rev()
        .filter_map(|l| parse_exec_json_line(l.trim()).ok())
        .find(|e| matches!(e, ExecEvent::TurnCompleted | ExecEvent::TurnFailed { .. }));
    match verdict.and_then(|e| e.signal(ctx)) {
        Some(Signal::Stopped {
            reason: StopReason::Completed,
            ..
        }) => return Ok(TurnOutcome::Succeeded),
        Some(Signal::Stopped { reason, evidence }) => {
            return Ok(TurnOutcome::Stopped { reason, evidence });
        }
        _ => {}
    }
    crate::resume::command::outcome_of_exit("codex", stderr, code, ctx)
}

#[cfg(test)]
mod tests;

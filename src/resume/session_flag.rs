//! The headless form a family of CLIs shares (one CLI and those forked from it): `<program> -o json <extras>
//! --resume <id> -p "<prompt>"` continues a session in its own directory, and `--session-id <new uuid>` starts
//! one whose id is therefore known before it runs. What differs between them is a [`Dialect`]: which configured
//! extras pick a session themselves (dropped, since the session is named), how the printed output tells the
//! turn's outcome, and what a continue sends.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::command::{Cli, Finished, announce_new_session, prompt_arg};
use super::{ContinueRequest, ResumeError, Resumer, StartRequest, TurnOutcome};
use crate::classify::ClassifyContext;

/// What one CLI of the family does its own way.
pub trait Dialect: Send + Sync + 'static {
    /// How many arguments, from `arg` on, leave the configured extras because they pick a session themselves
    /// (0: `arg` stays; 2: a flag and its value).
    fn picks_session(&self, arg: &str) -> usize;

    /// The turn's outcome from what the CLI printed and how it exited.
    fn outcome(&self, done: &Finished, ctx: &ClassifyContext) -> Result<TurnOutcome, ResumeError>;

    /// The prompt a continue sends (by default the request's own).
    fn continue_prompt(
        &self,
        req: &ContinueRequest,
    ) -> Pin<Box<dyn Future<Output = String> + Send>> {
        let prompt = req.prompt.clone();
        Box::pin(async move { prompt })
    }
}

pub struct SessionFlagHeadless<D> {
    cli: Cli,
    dialect: D,
}

impl<D: Dialect> SessionFlagHeadless<D> {
    pub fn new(cli: Cli, dialect: D) -> Arc<Self> {
        Arc::new(SessionFlagHeadless { cli, dialect })
    }

    /// `-o json <extras> <session flag> <id> -p <prompt>`.
    pub fn args(&self, session_flag: &str, session: &str, prompt: &str) -> Vec<String> {
        let mut args = vec!["-o".to_string(), "json".to_string()];
        let mut extras = self.cli.extra_args.iter();
        while let Some(arg) = extras.next() {
            match self.dialect.picks_session(arg) {
                0 => args.push(arg.clone()),
                n => {
                    for _ in 1..n {
                        extras.next();
                    }
                }
            }
        }
        args.extend([
            session_flag.to_string(),
            session.to_string(),
            "-p".to_string(),
            prompt_arg(prompt),
        ]);
        args
    }

    async fn run(
        &self,
        args: Vec<String>,
        cwd: PathBuf,
        agent_env: crate::model::AgentEnv,
        cancel: tokio_util::sync::CancellationToken,
    ) -> Result<TurnOutcome, ResumeError> {
        let done = self.cli.run(args, &cwd, &agent_env, &cancel).await?;
        let ctx = ClassifyContext::new(chrono::Utc::now(), crate::classify::env_tz());
        self.dialect.outcome(&done, &ctx)
    }
}

impl<D: Dialect> Resumer for SessionFlagHeadless<D> {
    fn continue_session(
        self: Arc<Self>,
        req: ContinueRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        async move {
            let prompt = self.dialect.continue_prompt(&req).await;
            let args = self.args("--resume", &req.session_id, &prompt);
            self.run(args, req.cwd, req.env, req.cancel).await
        }
        .boxed()
    }

    fn start_session(
        self: Arc<Self>,
        req: StartRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        async move {
            let id = announce_new_session(&req);
            let args = self.args("--session-id", &id, &req.prompt);
            self.run(args, req.cwd, req.env, req.cancel).await
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Picky;

    impl Dialect for Picky {
        fn picks_session(&self, arg: &str) -> usize {
            match arg {
                "--pick" => 2,
                "--newest" => 1,
                _ => 0,
            }
        }

        fn outcome(&self, _: &Finished, _: &ClassifyContext) -> Result<TurnOutcome, ResumeError> {
            Ok(TurnOutcome::Succeeded)
        }
    }

    #[test]
    fn extras_that_pick_a_session_are_dropped_with_their_values_and_the_rest_kept_in_order() {
        let cli = Cli {
            program: "agent".into(),
            extra_args: [
                "-m",
                "big",
                "--pick",
                "latest",
                "--newest",
                "--sandbox",
                "--pick",
            ]
            .map(String::from)
            .to_vec(),
            env: Default::default(),
            timeout: std::time::Duration::from_secs(1),
        };
        let h = SessionFlagHeadless::new(cli, Picky);
        assert_eq!(
            h.args("--resume", "s1", "go on"),
            [
                "-o",
                "json",
                "-m",
                "big",
                "--sandbox",
                "--resume",
                "s1",
                "-p",
                "go on"
            ]
        );
    }
}

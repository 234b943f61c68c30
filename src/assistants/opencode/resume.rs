//! opencode: through the server's API when the session lives on a server (`prompt_async`, after
//! `summarize` when asked; a new session with `POST /session`), else headless with
//! `opencode run --session <id> "<prompt>"` in the session's directory (`--attach <url>` while a server is
//! live). API resumes report `Delivered`: the event stream verifies the turn.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::config::Section as OpencodeConfig;
use crate::assistants::opencode::records::classify_message;
use crate::assistants::opencode::source::ServerLink;
use crate::assistants::opencode::source::api::{Api, ApiError};
use crate::classify::ClassifyContext;
use crate::model::Secret;
use crate::model::{Locator, Signal};
use crate::resume::command::{Headless, binary_or, prompt_arg};
use crate::resume::{ContinueRequest, ResumeError, Resumer, StartRequest, TurnOutcome};

/// The `opencode` executable: configured, else found on PATH.
pub fn program(c: &OpencodeConfig) -> PathBuf {
    binary_or(&c.binary, "opencode")
}

pub struct OpencodeResumer {
    program: PathBuf,
    env: std::collections::BTreeMap<String, String>,
    password: Option<Secret>,
    link: ServerLink,
    timeout: Duration,
}

impl OpencodeResumer {
    pub fn new(section: &super::config::Section, timeout: Duration, link: ServerLink) -> Arc<Self> {
        Arc::new(OpencodeResumer {
            program: program(section),
            env: section.env.clone(),
            password: section.server_password.clone(),
            link,
            timeout,
        })
    }

    async fn api_continue(
        &self,
        url: &str,
        req: &ContinueRequest,
    ) -> Result<TurnOutcome, ApiError> {
        let api = Api::new(url, self.password.clone());
        let dir = Some(req.cwd.as_path());
        if req.summarize_first {
            let last = api.last_assistant(&req.session_id, dir).await?;
            let field = |k: &str| {
                last.as_ref()
                    .and_then(|m| m.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            match (field("providerID"), field("modelID")) {
                (Some(provider), Some(model)) => {
                    tracing::info!(session = %req.session_id, "summarizing the opencode session before continuing");
                    api.summarize(&req.session_id, dir, &provider, &model)
                        .await?;
                }
                _ => {
                    tracing::warn!(session = %req.session_id, "no model known to summarize with; continuing without")
                }
            }
        }
        api.prompt_async(&req.session_id, dir, &req.prompt).await?;
        Ok(TurnOutcome::Delivered)
    }

    async fn api_start(&self, url: &str, req: &StartRequest) -> Result<TurnOutcome, ApiError> {
        let api = Api::new(url, self.password.clone());
        let dir = Some(req.cwd.as_path());
        let id = api.create_session(dir).await?;
        let locator = Locator {
            cwd: Some(req.cwd.clone()),
            server_url: Some(api.base().to_string()),
            ..Default::default()
        };
        let _ = req.started.send((id.clone(), locator)).await;
        api.prompt_async(&id, dir, &req.prompt).await?;
        Ok(TurnOutcome::Delivered)
    }

    async fn cli(
        &self,
        head: Vec<String>,
        prompt: &str,
        req_cwd: &std::path::Path,
        agent_env: &crate::model::AgentEnv,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<(TurnOutcome, Option<String>), ResumeError> {
        let mut args = vec!["run".to_string()];
        args.extend(head);
        args.extend(["--format".to_string(), "json".to_string()]);
        if let Some(url) = self.link.current() {
            args.extend(["--attach".to_string(), url]);
        }
        args.push(prompt_arg(prompt));
        let mut env = self.env.clone();
        if let Some(p) = &self.password {
            env.insert("OPENCODE_SERVER_PASSWORD".into(), p.expose().to_string());
        }
        let done = Headless {
            program: &self.program,
            args,
            cwd: req_cwd,
            agent_env,
            env: &env,
            timeout: self.timeout,
            cancel,
        }
        .run()
        .await?;
        Ok(interpret_run(&done.stdout, done.code))
    }
}

async fn cancellable<T>(
    cancel: &tokio_util::sync::CancellationToken,
    fut: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ResumeError> {
    tokio::select! {
        _ = cancel.cancelled() => Err(ResumeError::Cancelled),
        r = fut => r.map_err(|e| ResumeError::Failed(e.to_string())),
    }
}

impl Resumer for OpencodeResumer {
    fn continue_session(
        self: Arc<Self>,
        req: ContinueRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        async move {
            if let Some(url) = req.locator.server_url.clone() {
                return cancellable(&req.cancel, self.api_continue(&url, &req)).await;
            }
            let head = vec!["--session".to_string(), req.session_id.clone()];
            self.cli(head, &req.prompt, &req.cwd, &req.env, &req.cancel)
                .await
                .map(|(o, _)| o)
        }
        .boxed()
    }

    fn start_session(
        self: Arc<Self>,
        req: StartRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        async move {
            if let Some(url) = self.link.current() {
                return cancellable(&req.cancel, self.api_start(&url, &req)).await;
            }
            let (outcome, id) = self
                .cli(Vec::new(), &req.prompt, &req.cwd, &req.env, &req.cancel)
                .await?;
            if let Some(id) = id {
                let locator = Locator {
                    cwd: Some(req.cwd.clone()),
                    ..Default::default()
                };
                let _ = req.started.send((id, locator)).await;
            }
            Ok(outcome)
        }
        .boxed()
    }
}

/// Read `opencode run --format json` output: an `error` line tells how the turn stopped; the session id
/// is on every line.
pub fn interpret_run(stdout: &str, code: Option<i32>) -> (TurnOutcome, Option<String>) {
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .collect();
    let session = lines
        .iter()
        .find_map(|l| l.get("sessionID").and_then(Value::as_str))
        .map(str::to_string);
    let error = lines
        .iter()
        .rev()
        .find(|l| l.get("type").and_then(Value::as_str) == Some("error"))
        .and_then(|l| l.get("error"));
    if let Some(err) = error {
        let msg = json!({"role": "assistant", "error": err});
        let ctx = ClassifyContext::new(chrono::Utc::now(), crate::classify::env_tz());
        if let Some(Signal::Stopped { reason, evidence }) = classify_message(&msg, &ctx) {
            return (TurnOutcome::Stopped { reason, evidence }, session);
        }
    }
    let outcome = if code == Some(0) {
        TurnOutcome::Succeeded
    } else {
        TurnOutcome::Exited { code }
    };
    (outcome, session)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StopReason;

    #[test]
    fn a_run_that_answered_succeeded() {
        let out = r#"{"type":"step_start","timestamp":1,"sessionID":"ses_a","part":{}}
{"type":"text","timestamp":2,"sessionID":"ses_a","part":{"type":"text","text":"hi"}}
{"type":"step_finish","timestamp":3,"sessionID":"ses_a","part":{}}"#;
        assert_eq!(
            interpret_run(out, Some(0)),
            (TurnOutcome::Succeeded, Some("ses_a".into()))
        );
    }

    #[test]
    fn a_run_that_hit_a_429_stopped_with_its_retry_after() {
        let out = r#"{"type":"error","timestamp":1,"sessionID":"ses_b","error":{"name":"APIError","data":{"message":"Rate limit reached","statusCode":429,"isRetryable":true,"responseHeaders":{"retry-after":"7"}}}}"#;
        let (outcome, id) = interpret_run(out, Some(1));
        assert_eq!(id.as_deref(), Some("ses_b"));
        assert_eq!(
            outcome,
            TurnOutcome::Stopped {
                reason: StopReason::RateLimit {
                    retry_after_secs: Some(7)
                },
                evidence: "Rate limit reached".into()
            }
        );
    }

    #[test]
    fn a_run_that_died_silently_exited() {
        assert_eq!(
            interpret_run("garbage", Some(137)).0,
            TurnOutcome::Exited { code: Some(137) }
        );
    }
}

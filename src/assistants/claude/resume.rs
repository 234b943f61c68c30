//! Claude Code, headless: `claude -p --resume <id> "<prompt>"` in the session's own directory, and
//! `claude -p --session-id <new uuid> "<prompt>"` for a new session. `--output-format json` tells how the turn went.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::classify::{ClassifyContext, Evidence};
use crate::model::{AgentEnv, Locator};
use crate::resume::command::{Headless, binary_or, prompt_arg};
use crate::resume::{ContinueRequest, ResumeError, Resumer, StartRequest, TurnOutcome};

pub struct ClaudeHeadless {
    program: PathBuf,
    extra_args: Vec<String>,
    env: std::collections::BTreeMap<String, String>,
    projects_dir: PathBuf,
    timeout: Duration,
}

impl ClaudeHeadless {
    pub fn new(
        section: &super::config::Section,
        timeout: Duration,
        projects_dir: PathBuf,
    ) -> Arc<Self> {
        Arc::new(ClaudeHeadless {
            program: binary_or(&section.binary, "claude"),
            extra_args: section.extra_args.clone(),
            env: section.env.clone(),
            projects_dir,
            timeout,
        })
    }

    async fn run(
        self: Arc<Self>,
        head: Vec<String>,
        prompt: String,
        cwd: PathBuf,
        agent_env: AgentEnv,
        cancel: tokio_util::sync::CancellationToken,
    ) -> Result<TurnOutcome, ResumeError> {
        let mut args = head;
        args.extend(["--output-format".to_string(), "json".to_string()]);
        args.extend(self.extra_args.iter().cloned());
        args.push(prompt_arg(&prompt));
        let done = Headless {
            program: &self.program,
            args,
            cwd: &cwd,
            agent_env: &agent_env,
            env: &self.env,
            timeout: self.timeout,
            cancel: &cancel,
        }
        .run()
        .await?;
        Ok(interpret_result(&done.stdout, &done.stderr, done.code))
    }
}

impl Resumer for ClaudeHeadless {
    fn continue_session(
        self: Arc<Self>,
        req: ContinueRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        let me = self;
        let head = vec![
            "-p".to_string(),
            "--resume".to_string(),
            req.session_id.clone(),
        ];
        me.run(head, req.prompt, req.cwd, req.env, req.cancel)
            .boxed()
    }

    fn start_session(
        self: Arc<Self>,
        req: StartRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        let me = self;
        async move {
            let id = uuid::Uuid::new_v4().to_string();
            let transcript = me
                .projects_dir
                .join(crate::assistants::claude::records::project_dir_name(
                    &req.cwd,
                ))
                .join(format!("{id}.jsonl"));
            let locator = Locator {
                cwd: Some(req.cwd.clone()),
                transcript: Some(transcript),
                ..Default::default()
            };
            let _ = req.started.send((id.clone(), locator)).await;
            let head = vec!["-p".to_string(), "--session-id".to_string(), id];
            me.run(head, req.prompt, req.cwd, req.env, req.cancel).await
        }
        .boxed()
    }
}

/// Read `claude -p --output-format json`'s result object: `is_error`, `api_error_status`, `result`.
pub fn interpret_result(stdout: &str, stderr: &str, code: Option<i32>) -> TurnOutcome {
    let result = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .find(|v| v.get("type").and_then(|t| t.as_str()) == Some("result"));
    let Some(v) = result else {
        if code == Some(0) {
            return TurnOutcome::Exited { code };
        }
        let text = if stderr.trim().is_empty() {
            stdout
        } else {
            stderr
        };
        let evidence = Evidence::new(crate::assistants::claude::ASSISTANT, text.trim());
        return match crate::classify::classify_text(
            text,
            &ClassifyContext::new(chrono::Utc::now(), crate::classify::env_tz()),
        ) {
            Some(reason) => TurnOutcome::Stopped {
                reason,
                evidence: evidence.text,
            },
            None => TurnOutcome::Exited { code },
        };
    };
    let is_error = v
        .get("is_error")
        .and_then(|b| b.as_bool())
        .unwrap_or(code != Some(0));
    if !is_error {
        return TurnOutcome::Succeeded;
    }
    let text = v
        .get("result")
        .and_then(|r| r.as_str())
        .unwrap_or_default()
        .to_string();
    let mut evidence = Evidence::new(crate::assistants::claude::ASSISTANT, &text);
    evidence.structured = true;
    evidence.http_status = v
        .get("api_error_status")
        .and_then(|s| s.as_u64())
        .map(|s| s as u16);
    if v.get("terminal_reason").and_then(|t| t.as_str()) == Some("prompt_too_long") {
        evidence.error_code = Some("invalid_request".into());
        evidence.details = Some("prompt is too long".into());
    }
    let reason = super::classify::classify(
        &evidence,
        &ClassifyContext::new(chrono::Utc::now(), crate::classify::env_tz()),
    );
    TurnOutcome::Stopped {
        reason,
        evidence: text,
    }
}

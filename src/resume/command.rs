//! Running an agent's CLI for one headless turn: in the session's directory, with the daemon's environment plus
//! configured extras, no stdin, killed on cancel or timeout, output captured (bounded).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use super::ResumeError;
use super::safety::strip_bypass_flags;

/// At most this much of a child's stdout/stderr is kept.
const MAX_CAPTURE: usize = 4 * 1024 * 1024;
/// After the agent exits, how long a descendant it left behind may keep its output open.
const OUTPUT_GRACE: Duration = Duration::from_secs(3);

pub struct Headless<'a> {
    pub program: &'a Path,
    pub args: Vec<String>,
    pub cwd: &'a Path,
    /// The agent's own environment (from when it ran), applied over the daemon's.
    pub agent_env: &'a crate::model::AgentEnv,
    /// Configured extras, applied last.
    pub env: &'a std::collections::BTreeMap<String, String>,
    pub timeout: Duration,
    pub cancel: &'a CancellationToken,
}

pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Headless<'_> {
    pub async fn run(self) -> Result<Finished, ResumeError> {
        self.run_streaming(|_| {}).await
    }

    /// Like [`Headless::run`], also handing each stdout line to `on_line` as soon as it is printed (to act
    /// on an id a CLI prints at its start without waiting for it to exit).
    pub async fn run_streaming(
        self,
        mut on_line: impl FnMut(&str) + Send,
    ) -> Result<Finished, ResumeError> {
        let program = self.program.display().to_string();
        let args = strip_bypass_flags(self.args);
        tracing::info!(%program, ?args, cwd = %self.cwd.display(), "running agent headless");
        let mut child = Command::new(self.program)
            .args(&args)
            .current_dir(self.cwd)
            .envs(&self.agent_env.0)
            .envs(self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| ResumeError::Spawn {
                program: program.clone(),
                source,
            })?;
        let mut out = child.stdout.take().expect("piped");
        let mut err = child.stderr.take().expect("piped");
        let (mut out_buf, mut err_buf) = (Vec::new(), Vec::new());
        let waited = async {
            let reads = async {
                let read_out = async {
                    let mut reader = tokio::io::BufReader::new(&mut out);
                    let mut line = Vec::new();
                    loop {
                        line.clear();
                        match reader.read_until(b'\n', &mut line).await {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                        on_line(String::from_utf8_lossy(&line).trim_end());
                        // Keep reading past the cap (a child blocked on a full pipe would never exit).
                        if out_buf.len() < MAX_CAPTURE {
                            out_buf.extend_from_slice(&line);
                        }
                    }
                };
                let read_err = async {
                    let _ = (&mut err)
                        .take(MAX_CAPTURE as u64)
                        .read_to_end(&mut err_buf)
                        .await;
                };
                tokio::join!(read_out, read_err);
            };
            tokio::pin!(reads);
            // A descendant the agent left behind can hold its output open after the agent exits: then the
            // output gets a short grace, not forever. What was read by then is kept.
            tokio::select! {
                _ = &mut reads => child.wait().await,
                status = child.wait() => {
                    if tokio::time::timeout(OUTPUT_GRACE, &mut reads).await.is_err() {
                        tracing::warn!(%program, "the agent exited but its output stayed open; reading no further");
                    }
                    status
                }
            }
        };
        let status = tokio::select! {
            _ = self.cancel.cancelled() => return Err(ResumeError::Cancelled),
            _ = tokio::time::sleep(self.timeout) => {
                return Err(ResumeError::Timeout { program, secs: self.timeout.as_secs() });
            }
            status = waited => status,
        };
        let status = status.map_err(|source| ResumeError::Spawn { program, source })?;
        Ok(Finished {
            code: status.code(),
            stdout: String::from_utf8_lossy(&out_buf).into_owned(),
            stderr: String::from_utf8_lossy(&err_buf).into_owned(),
        })
    }
}

/// An assistant's CLI as its config section sets it up: the program, extra arguments and environment, and how
/// long one headless turn may take.
#[derive(Clone, Debug)]
pub struct Cli {
    pub program: PathBuf,
    pub extra_args: Vec<String>,
    pub env: std::collections::BTreeMap<String, String>,
    pub timeout: Duration,
}

impl Cli {
    /// One headless turn with `args` in `cwd`, with the agent's own environment under the configured one.
    pub async fn run(
        &self,
        args: Vec<String>,
        cwd: &Path,
        agent_env: &crate::model::AgentEnv,
        cancel: &CancellationToken,
    ) -> Result<Finished, ResumeError> {
        Headless {
            program: &self.program,
            args,
            cwd,
            agent_env,
            env: &self.env,
            timeout: self.timeout,
            cancel,
        }
        .run()
        .await
    }
}

/// A new session's id for a CLI that takes one (`--session-id <uuid>`), reported on `req.started` at once, so
/// it is known before the turn ends.
pub fn announce_new_session(req: &super::StartRequest) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let locator = crate::model::Locator {
        cwd: Some(req.cwd.clone()),
        ..Default::default()
    };
    // One report per run on a fresh channel: it cannot be full.
    let _ = req.started.try_send((id.clone(), locator));
    id
}

/// The configured binary, or the bare name to be found on PATH.
pub fn binary_or(configured: &Option<PathBuf>, name: &str) -> PathBuf {
    configured.clone().unwrap_or_else(|| PathBuf::from(name))
}

/// A prompt is passed as one argument; one starting with `-` would be read as a flag.
pub fn prompt_arg(prompt: &str) -> String {
    if prompt.starts_with('-') {
        format!(" {prompt}")
    } else {
        prompt.to_string()
    }
}

/// What a headless run means when its output held no verdict: a clean exit says nothing (the session's own
/// records will tell); a failed one is classified from stderr, or is an error naming `program` and stderr's last
/// line.
pub fn outcome_of_exit(
    program: &str,
    stderr: &str,
    code: Option<i32>,
    ctx: &crate::classify::ClassifyContext,
) -> Result<super::TurnOutcome, ResumeError> {
    if code == Some(0) || code.is_none() {
        return Ok(super::TurnOutcome::Exited { code });
    }
    if let Some(reason) = crate::classify::classify_text(stderr, ctx) {
        return Ok(super::TurnOutcome::Stopped {
            reason,
            evidence: stderr.trim().to_string(),
        });
    }
    let last = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output");
    Err(ResumeError::Failed(format!(
        "{program} exited with status {} before a turn ran: {last}",
        code.unwrap_or(-1)
    )))
}

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
        let read_out = async move {
            let mut buf = Vec::new();
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
                if buf.len() < MAX_CAPTURE {
                    buf.extend_from_slice(&line);
                }
            }
            buf
        };
        let read_err = async move {
            let mut buf = Vec::new();
            let _ = (&mut err)
                .take(MAX_CAPTURE as u64)
                .read_to_end(&mut buf)
                .await;
            buf
        };
        let waited = async {
            let (o, e, status) = tokio::join!(read_out, read_err, child.wait());
            (o, e, status)
        };
        tokio::select! {
            _ = self.cancel.cancelled() => Err(ResumeError::Cancelled),
            _ = tokio::time::sleep(self.timeout) => Err(ResumeError::Timeout { program, secs: self.timeout.as_secs() }),
            (o, e, status) = waited => {
                let status = status.map_err(|source| ResumeError::Spawn { program, source })?;
                Ok(Finished {
                    code: status.code(),
                    stdout: String::from_utf8_lossy(&o).into_owned(),
                    stderr: String::from_utf8_lossy(&e).into_owned(),
                })
            }
        }
    }
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

//! Running an agent's CLI for one headless turn: in the session's directory, with the daemon's environment plus
//! configured extras, no stdin, killed on cancel or timeout, output captured (bounded).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use super::ResumeError;
use super::safety::strip_bypass_flags;

/// At most this much of a child's stdout/stderr is kept.
const MAX_CAPTURE: usize = 4 * 1024 * 1024;
/// How long output may stay open after the process exited.
const OUTPUT_GRACE: Duration = Duration::from_secs(3);

pub struct Headless<'a> {
    pub program: &'a Path,
    pub args: Vec<String>,
    pub cwd: &'a Path,
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
        let program = self.program.display().to_string();
        let args = strip_bypass_flags(self.args);
        tracing::info!(%program, ?args, cwd = %self.cwd.display(), "running agent headless");
        let mut child = Command::new(self.program)
            .args(&args)
            .current_dir(self.cwd)
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
        // A descendant the agent left behind can hold its output open after the agent exits: then the
        // output gets a short grace, not forever. What was read by then is kept.
        let waited = async {
            let reads = async {
                let mut out = (&mut out).take(MAX_CAPTURE as u64);
                let mut err = (&mut err).take(MAX_CAPTURE as u64);
                let _ = tokio::join!(out.read_to_end(&mut out_buf), err.read_to_end(&mut err_buf));
            };
            tokio::pin!(reads);
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

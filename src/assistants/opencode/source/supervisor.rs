//! Owning an `opencode serve` process: start it, wait until `GET /global/health` answers, publish its URL,
//! restart it with backoff when it dies or stops answering, give up after too many restarts in a window,
//! and stop it on shutdown.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::super::config::Section as OpencodeConfig;
use super::ServerLink;
use super::api::Api;
use crate::audit::{AuditEvent, AuditWriter, EventType};
use crate::model::Secret;

/// How long a new server may take to answer its health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// One readiness probe; a request landing as the port opens has hung for minutes.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// Failed health checks in a row before a running server is considered hung.
const HUNG_AFTER: u32 = 3;
/// A stopped server gets this long after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);
const MAX_RESTART_DELAY: Duration = Duration::from_secs(60);

/// How to run and watch the server.
#[derive(Debug, Clone)]
pub struct ServeSpec {
    pub program: PathBuf,
    pub hostname: String,
    pub port: u16,
    pub cwd: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    pub password: Option<Secret>,
    pub auto_restart: bool,
    pub restart_delay: Duration,
    pub health_interval: Duration,
    pub max_restarts: u32,
    pub restart_window: Duration,
}

impl ServeSpec {
    pub fn from_config(c: &OpencodeConfig) -> ServeSpec {
        ServeSpec {
            program: crate::assistants::opencode::resume::program(c),
            hostname: c.serve_hostname.clone(),
            port: c.serve_port,
            cwd: c.project_dir.as_deref().map(crate::paths::expand_home),
            env: c.env.clone(),
            password: c.server_password.clone(),
            auto_restart: c.auto_restart,
            restart_delay: Duration::from_secs(c.restart_delay_secs),
            health_interval: Duration::from_secs(c.health_check_interval_secs.max(1)),
            max_restarts: c.max_restarts,
            restart_window: Duration::from_secs(c.restart_window_secs),
        }
    }

    /// The URL the server answers on.
    pub fn url(&self) -> String {
        let host = if self.hostname.contains(':') {
            format!("[{}]", self.hostname)
        } else {
            self.hostname.clone()
        };
        format!("http://{host}:{}", self.port)
    }
}

/// Why a server run ended.
enum Ended {
    Stop,
    Died(String),
}

/// Keep the server running until `stop`.
pub async fn supervise(
    spec: ServeSpec,
    link: ServerLink,
    audit: AuditWriter,
    stop: CancellationToken,
) {
    let url = spec.url();
    let api = Api::new(&url, spec.password.clone());
    let mut restarts: VecDeque<Instant> = VecDeque::new();
    let mut starts: u32 = 0;
    loop {
        let why = match start(&spec, &api, &stop).await {
            Ok(None) => return,
            Ok(Some(mut child)) => {
                starts += 1;
                let pid = child.id();
                let kind = if starts == 1 {
                    EventType::ServerStarted
                } else {
                    EventType::ServerRestarted
                };
                info!(%url, ?pid, restarts = starts - 1, "opencode server ready");
                audit.record(
                    event(kind)
                        .message(format!("opencode serve ready at {url}"))
                        .metadata(
                            serde_json::json!({"pid": pid, "url": url, "restarts": starts - 1}),
                        ),
                );
                link.set(Some(url.clone()));
                let ended = watch(&spec, &api, &mut child, &stop).await;
                link.set(None);
                match ended {
                    Ended::Stop => {
                        terminate(&mut child).await;
                        return;
                    }
                    Ended::Died(why) => {
                        let _ = child.start_kill();
                        let _ = child.wait().await;
                        why
                    }
                }
            }
            Err(why) => why,
        };
        warn!(%url, %why, "opencode server down");
        let now = Instant::now();
        while restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > spec.restart_window)
        {
            restarts.pop_front();
        }
        let gave_up = if !spec.auto_restart {
            Some(format!(
                "opencode serve stopped ({why}) and auto_restart is off"
            ))
        } else if restarts.len() as u32 >= spec.max_restarts {
            Some(format!(
                "opencode serve stopped ({why}) after {} restarts within {} s; not restarting",
                restarts.len(),
                spec.restart_window.as_secs()
            ))
        } else {
            None
        };
        if let Some(message) = gave_up {
            audit.record(
                event(EventType::ServerGaveUp)
                    .message(message.clone())
                    .metadata(serde_json::json!({"url": url})),
            );
            audit.record(event(EventType::NeedsAttention).message(message));
            return;
        }
        let exp = restarts.len().min(16) as u32;
        let delay = spec
            .restart_delay
            .saturating_mul(1 << exp)
            .min(MAX_RESTART_DELAY);
        debug!(?delay, "restarting opencode serve");
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        restarts.push_back(Instant::now());
    }
}

fn event(kind: EventType) -> AuditEvent {
    AuditEvent::new(kind).assistant(crate::assistants::opencode::ASSISTANT)
}

/// Spawn the server and wait until it is healthy. `Ok(None)` when stopped meanwhile.
async fn start(
    spec: &ServeSpec,
    api: &Api,
    stop: &CancellationToken,
) -> Result<Option<Child>, String> {
    // A second server could not bind the port, and its readiness probe would be answered by the first.
    if api.health(PROBE_TIMEOUT).await.is_ok() {
        return Err(format!(
            "another server already answers at {} (set server_url to follow it instead of supervising)",
            api.base()
        ));
    }
    let mut cmd = Command::new(&spec.program);
    cmd.args([
        "serve",
        "--port",
        &spec.port.to_string(),
        "--hostname",
        &spec.hostname,
    ])
    .envs(&spec.env)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    if let Some(p) = &spec.password {
        cmd.env("OPENCODE_SERVER_PASSWORD", p.expose());
    }
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", spec.program.display()))?;
    forward_output(&mut child);
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        tokio::select! {
            _ = stop.cancelled() => {
                terminate(&mut child).await;
                return Ok(None);
            }
            status = child.wait() => {
                return Err(format!("exited before it was ready ({})", status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())));
            }
            ok = api.health(PROBE_TIMEOUT) => if ok.is_ok() {
                return Ok(Some(child));
            }
        }
        if Instant::now() >= deadline {
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Err(format!(
                "not healthy within {} s",
                STARTUP_TIMEOUT.as_secs()
            ));
        }
        tokio::select! {
            _ = stop.cancelled() => {
                terminate(&mut child).await;
                return Ok(None);
            }
            _ = tokio::time::sleep(PROBE_EVERY) => {}
        }
    }
}

/// Watch a running server until it dies, hangs or `stop`.
async fn watch(spec: &ServeSpec, api: &Api, child: &mut Child, stop: &CancellationToken) -> Ended {
    let mut failures = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ended::Stop,
            status = child.wait() => {
                return Ended::Died(format!("exited: {}", status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())));
            }
            _ = tokio::time::sleep(spec.health_interval) => {
                match api.health(Duration::from_secs(5)).await {
                    Ok(()) => failures = 0,
                    Err(e) => {
                        failures += 1;
                        warn!(error = %e, failures, "opencode health check failed");
                        if failures >= HUNG_AFTER {
                            return Ended::Died(format!("{failures} health checks failed"));
                        }
                    }
                }
            }
        }
    }
}

/// SIGTERM, then SIGKILL after a grace period.
async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
        if tokio::time::timeout(STOP_GRACE, child.wait()).await.is_ok() {
            return;
        }
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// The server's own output goes to the daemon log at debug level.
fn forward_output(child: &mut Child) {
    if let Some(out) = child.stdout.take() {
        crate::tasks::spawn(async move {
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                debug!(target: "palingenesis::opencode_serve", "{l}");
            }
        });
    }
    if let Some(err) = child.stderr.take() {
        crate::tasks::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                debug!(target: "palingenesis::opencode_serve", "{l}");
            }
        });
    }
}

#[cfg(test)]
mod tests;

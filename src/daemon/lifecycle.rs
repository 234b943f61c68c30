//! Starting and stopping the daemon process: foreground run with pid file, socket and signals; detached start;
//! stop; status. Used by `palingenesis daemon …`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;

use super::pidfile::{PidFile, PidFileError, live_holder, running_pid};
use super::{DaemonContext, run};
use crate::config::Config;
use crate::ipc::client::{Client, ClientError, request_once};
use crate::paths::Paths;
use crate::protocol::Request;

/// How long a start waits for a daemon that is exiting (killed, crashed) to release its pid file lock.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// Create a private directory (0700).
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

/// What a starting daemon checks before it runs anything: the config file loads and every assistant's
/// section can be wired. `daemon restart` calls it before stopping the running daemon.
pub fn preflight(paths: &Paths) -> anyhow::Result<Config> {
    let config = crate::config::load(&paths.config_file)?;
    crate::wiring::wire(&config)?;
    Ok(config)
}

/// Run the daemon in this process until SIGTERM/SIGINT or a shutdown request.
pub async fn run_foreground(paths: Paths, config: Config) -> anyhow::Result<()> {
    raise_fd_limit();
    private_dir(&paths.runtime_dir)
        .with_context(|| format!("creating {}", paths.runtime_dir.display()))?;
    private_dir(&paths.state_dir)
        .with_context(|| format!("creating {}", paths.state_dir.display()))?;
    let _pid = match PidFile::acquire(&paths.pid_file()) {
        Ok(p) => p,
        Err(PidFileError::AlreadyRunning { .. }) => {
            // The holder may be a daemon that was just killed and has not yet released its lock.
            if let Some(pid) = live_holder(&paths.pid_file(), EXIT_GRACE).await {
                bail!("palingenesis is already running (pid {pid})")
            }
            PidFile::acquire(&paths.pid_file())?
        }
        Err(e) => return Err(e.into()),
    };
    // We hold the lock, so any socket file left behind is stale (a crashed daemon's).
    let socket = paths.socket();
    if socket.exists() {
        tracing::warn!(socket = %socket.display(), "removing stale socket left by an earlier daemon");
        std::fs::remove_file(&socket)
            .with_context(|| format!("removing stale {}", socket.display()))?;
    }
    let listener =
        UnixListener::bind(&socket).with_context(|| format!("binding {}", socket.display()))?;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;

    let shutdown = CancellationToken::new();
    let (reload_tx, reload_rx) = tokio::sync::mpsc::channel(4);
    spawn_signal_handlers(shutdown.clone(), reload_tx)?;
    let result = run(
        listener,
        DaemonContext {
            paths: paths.clone(),
            config,
            reload: Some(reload_rx),
        },
        shutdown,
    )
    .await;
    let _ = std::fs::remove_file(&socket);
    result.map_err(Into::into)
}

/// Raise the open-file soft limit to the hard limit: idle clients, watched files and agents' transcripts all
/// take descriptors, and the usual soft limit of 1024 is easy to reach.
fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return;
    };
    // An "unlimited" hard limit is not a valid soft one for descriptors.
    let target = hard.min(1 << 20);
    if soft >= target {
        return;
    }
    match setrlimit(Resource::RLIMIT_NOFILE, target, hard) {
        Ok(()) => tracing::info!(from = soft, to = target, "raised the open-file limit"),
        Err(e) => tracing::warn!(error = %e, soft, "could not raise the open-file limit"),
    }
}

fn spawn_signal_handlers(
    shutdown: CancellationToken,
    reload: tokio::sync::mpsc::Sender<()>,
) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    crate::tasks::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!("SIGTERM"); shutdown.cancel(); break; }
                _ = int.recv() => { tracing::info!("SIGINT"); shutdown.cancel(); break; }
                _ = hup.recv() => { tracing::info!("SIGHUP: reloading config"); let _ = reload.try_send(()); }
                _ = shutdown.cancelled() => break,
            }
        }
    });
    Ok(())
}

/// The environment variable (and value) that keeps the daemon's memory to one glibc malloc arena: with one
/// per thread, memory freed by one thread is not reused by another, and a burst of work (1,000 new
/// sessions) leaves megabytes resident for good. The daemon is I/O-bound, so a shared arena costs nothing
/// measurable. Other C libraries ignore it.
pub const MALLOC_ARENAS: [&str; 2] = ["MALLOC_ARENA_MAX", "1"];

/// Start a detached daemon and wait until it answers. Returns its pid.
pub async fn start_detached(paths: &Paths, verbosity: u8) -> anyhow::Result<u32> {
    if let Ok(c) = Client::connect(&paths.socket(), "cli").await {
        bail!("palingenesis is already running (pid {})", c.daemon_pid);
    }
    if let Some(pid) = live_holder(&paths.pid_file(), EXIT_GRACE).await {
        bail!(
            "palingenesis is already running (pid {pid}) but its socket does not answer; try `palingenesis daemon stop`"
        );
    }
    private_dir(&paths.state_dir)?;
    let log_dir = paths.log_dir();
    crate::logging::private_dir(&log_dir)?;
    let stderr_path = log_dir.join("daemon.stderr");
    let stderr = crate::logging::open_private(&stderr_path)?;
    stderr.set_len(0)?;
    let exe = std::env::current_exe().context("locating the palingenesis executable")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["daemon", "start", "--foreground", "--no-stderr-log"]);
    let [arena_var, arenas] = MALLOC_ARENAS;
    if std::env::var_os(arena_var).is_none() {
        cmd.env(arena_var, arenas);
    }
    for _ in 0..verbosity {
        cmd.arg("-v");
    }
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .context("spawning the daemon")?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(c) = Client::connect(&paths.socket(), "cli").await {
            return Ok(c.daemon_pid);
        }
        if let Some(status) = child.try_wait()? {
            let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            bail!(
                "the daemon exited during start-up ({status}):\n{}",
                err.trim()
            );
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "the daemon did not answer within 15 s; see {}",
                paths.log_file().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Ask the daemon to stop and wait until it is gone. Ok(None) when it was not running.
pub async fn stop(paths: &Paths) -> anyhow::Result<Option<u32>> {
    // Read before asking: a daemon that stops at once has released its pid file by the time it answered.
    let known = running_pid(&paths.pid_file());
    let pid = match request_once(&paths.socket(), &Request::Shutdown).await {
        Ok(crate::protocol::Response::Error(e)) => {
            // It answers but cannot shut down by itself (its engine is gone): end it by signal.
            tracing::warn!(error = %e.message, "the daemon could not stop by itself; sending SIGTERM");
            let pid = running_pid(&paths.pid_file());
            if let Some(pid) = pid {
                signal(pid, nix::sys::signal::Signal::SIGTERM);
            }
            pid
        }
        Ok(_) => known.or_else(|| running_pid(&paths.pid_file())),
        Err(ClientError::NotRunning { .. }) => match running_pid(&paths.pid_file()) {
            Some(pid) => {
                // Alive but deaf: fall back to SIGTERM.
                signal(pid, nix::sys::signal::Signal::SIGTERM);
                Some(pid)
            }
            None => return Ok(None),
        },
        Err(ClientError::VersionMismatch { daemon_pid, .. }) => {
            signal(daemon_pid, nix::sys::signal::Signal::SIGTERM);
            Some(daemon_pid)
        }
        Err(e) => return Err(e.into()),
    };
    // A graceful stop normally takes well under a second; one that hangs gets SIGTERM, then SIGKILL, so
    // `daemon stop` always ends the daemon (state is saved every 200 ms and the audit trail is append-only).
    let start = tokio::time::Instant::now();
    let mut escalated = 0;
    while let Some(alive) = running_pid(&paths.pid_file()) {
        let waited = start.elapsed();
        if escalated == 0 && waited > Duration::from_secs(15) {
            tracing::warn!(
                pid = alive,
                "the daemon did not stop within 15 s; sending SIGTERM"
            );
            signal(alive, nix::sys::signal::Signal::SIGTERM);
            escalated = 1;
        } else if escalated == 1 && waited > Duration::from_secs(25) {
            tracing::warn!(pid = alive, "the daemon ignored SIGTERM; sending SIGKILL");
            signal(alive, nix::sys::signal::Signal::SIGKILL);
            escalated = 2;
        } else if waited > Duration::from_secs(30) {
            bail!("the daemon (pid {alive}) did not stop within 30 s, even after SIGKILL");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(Some(pid.unwrap_or(0)))
}

fn signal(pid: u32, sig: nix::sys::signal::Signal) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
    }
}

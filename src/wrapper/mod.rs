//! `palingenesis run -- <agent> [args…]`: run an interactive agent under a pseudo-terminal palingenesis owns.
//!
//! The wrapper is transparent: the user's terminal is put in raw mode and bytes pass both ways unchanged; the
//! window size follows SIGWINCH; SIGTERM, SIGHUP, SIGINT and SIGQUIT sent to the wrapper go to the agent; the
//! wrapper exits with the agent's status (128 + signal when it was killed). Meanwhile it keeps an emulated copy
//! of the agent's screen, listens on its own socket (`<runtime dir>/wrappers/<id>.sock`, mode 0600) and
//! registers with the daemon, which can then read the screen, type the resume prompt and show its plan in the
//! terminal's title. Without a daemon it is a plain passthrough; a daemon started later finds the socket.

pub mod client;
mod display;
pub mod protocol;
mod server;
mod tty;

use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;
use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::net::UnixListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::paths::Paths;
use crate::procfs::ProcId;
use crate::protocol::{Request, WrapperId, WrapperRegistration};
use display::Display;
use server::Shared;

/// What to run, and where the daemon is.
pub struct RunOptions {
    pub command: Vec<String>,
    pub paths: Paths,
}

#[derive(Debug, thiserror::Error)]
pub enum WrapperError {
    #[error("nothing to run: give the agent's command after `--`")]
    NoCommand,
    #[error("opening a pseudo-terminal: {0}")]
    Pty(String),
    #[error("starting `{program}`: {message}")]
    Spawn { program: String, message: String },
    #[error("{about}: {source}")]
    Io {
        about: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// The directory the wrappers' sockets live in.
pub fn sockets_dir(paths: &Paths) -> PathBuf {
    paths.runtime_dir.join("wrappers")
}

/// Run the agent until it exits; returns the exit code to leave with.
pub fn run(opts: RunOptions) -> Result<u8, WrapperError> {
    let (program, args) = opts.command.split_first().ok_or(WrapperError::NoCommand)?;
    let (rows, cols) = tty::size();
    let pty = native_pty_system()
        .openpty(pty_size(rows, cols))
        .map_err(|e| WrapperError::Pty(e.to_string()))?;
    let cwd = std::env::current_dir().map_err(|source| WrapperError::Io {
        about: "reading the current directory",
        source,
    })?;
    let mut cmd = CommandBuilder::new(program);
    cmd.args(args);
    cmd.cwd(&cwd);
    let child = pty
        .slave
        .spawn_command(cmd)
        .map_err(|e| WrapperError::Spawn {
            program: program.clone(),
            message: e.to_string(),
        })?;
    drop(pty.slave);
    let pid = child.process_id().ok_or_else(|| WrapperError::Spawn {
        program: program.clone(),
        message: "no process id".into(),
    })?;
    let reader = pty
        .master
        .try_clone_reader()
        .map_err(|e| WrapperError::Pty(e.to_string()))?;
    let input = pty
        .master
        .take_writer()
        .map_err(|e| WrapperError::Pty(e.to_string()))?;

    let id = format!("w{}-{:04x}", std::process::id(), rand::random::<u16>());
    let socket = sockets_dir(&opts.paths).join(format!("{id}.sock"));
    let shared = Arc::new(Shared {
        display: Mutex::new(Display::new(std::io::stdout(), rows, cols)),
        input: Mutex::new(input),
        registration: WrapperRegistration {
            id,
            wrapper_pid: std::process::id(),
            agent: ProcId::of(pid).unwrap_or(ProcId { pid, start_time: 0 }),
            cwd,
            socket,
            command: opts.command.clone(),
        },
    });

    let raw = tty::RawMode::enable();
    let output_done = pump_output(reader, shared.clone());
    pump_input(shared.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|source| WrapperError::Io {
            about: "starting the async runtime",
            source,
        })?;
    let code = runtime.block_on(supervise(shared, pty.master, pid, opts.paths));
    // Let the agent's last output reach the terminal before it leaves raw mode.
    let _ = output_done.recv_timeout(Duration::from_millis(500));
    drop(raw);
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(code)
}

fn pty_size(rows: u16, cols: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

/// Agent output → the user's terminal and the emulated screen. Signals on the returned channel at the end.
fn pump_output(
    mut reader: Box<dyn Read + Send>,
    shared: Arc<Shared<std::io::Stdout>>,
) -> mpsc::Receiver<()> {
    let (done, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let mut display = shared.display.lock().unwrap_or_else(|e| e.into_inner());
                    // A vanished user terminal must not stall the agent: keep reading.
                    let _ = display.output(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
    rx
}

/// The user's keyboard → the agent. This thread may stay blocked in `read` when the agent exits; the process
/// ends without it.
fn pump_input(shared: Arc<Shared<std::io::Stdout>>) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 4096];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if shared.type_bytes(&buf[..n]).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
}

/// Serve the socket, register, follow the window size, forward signals; returns the agent's exit code.
async fn supervise(
    shared: Arc<Shared<std::io::Stdout>>,
    master: Box<dyn MasterPty + Send>,
    pid: u32,
    paths: Paths,
) -> u8 {
    let stop = CancellationToken::new();
    let reg = shared.registration.clone();
    let listening = match bind(&reg.socket) {
        Ok(listener) => {
            crate::tasks::spawn(server::serve(listener, shared.clone(), stop.clone()));
            true
        }
        Err(e) => {
            tracing::debug!(error = %e, "no wrapper socket; running as a plain passthrough");
            false
        }
    };
    if listening {
        tell_daemon(&paths, Request::RegisterWrapper(reg.clone())).await;
    }
    let agent = Pid::from_raw(pid as i32);
    let mut wait = crate::tasks::spawn_blocking(move || wait_for(agent));
    let (Ok(mut winch), Ok(mut term), Ok(mut hup), Ok(mut int), Ok(mut quit)) = (
        signal(SignalKind::window_change()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::quit()),
    ) else {
        return wait.await.unwrap_or(1);
    };
    let foreground =
        |master: &dyn MasterPty| Pid::from_raw(master.process_group_leader().unwrap_or(pid as i32));
    let code = loop {
        tokio::select! {
            code = &mut wait => break code.unwrap_or(1),
            _ = winch.recv() => {
                let (rows, cols) = tty::size();
                let _ = master.resize(pty_size(rows, cols));
                shared.display.lock().unwrap_or_else(|e| e.into_inner()).resize(rows, cols);
            }
            _ = term.recv() => { let _ = kill(agent, Signal::SIGTERM); }
            _ = quit.recv() => { let _ = kill(agent, Signal::SIGQUIT); }
            _ = hup.recv() => { let _ = killpg(foreground(master.as_ref()), Signal::SIGHUP); }
            _ = int.recv() => { let _ = killpg(foreground(master.as_ref()), Signal::SIGINT); }
        }
    };
    stop.cancel();
    if listening {
        tell_daemon(&paths, Request::UnregisterWrapper(WrapperId { id: reg.id })).await;
        let _ = std::fs::remove_file(&reg.socket);
    }
    code
}

/// Wait for the agent; its exit code, or 128 + the signal that killed it.
fn wait_for(pid: Pid) -> u8 {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return code as u8,
            Ok(WaitStatus::Signaled(_, sig, _)) => return 128u8.wrapping_add(sig as u8),
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return 1,
        }
    }
}

/// Bind the wrapper's socket in a private directory, readable and writable by the user only.
fn bind(socket: &Path) -> std::io::Result<UnixListener> {
    let dir = socket.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket)?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Best effort: without a daemon the wrapper is a plain passthrough.
async fn tell_daemon(paths: &Paths, req: Request) {
    let sent = tokio::time::timeout(
        Duration::from_secs(2),
        crate::ipc::client::request_once(&paths.socket(), &req),
    )
    .await;
    tracing::debug!(?sent, "told the daemon");
}

//! `palingenesis daemon start|stop|restart|reload|status`.

use anyhow::Context;

use crate::cli::args::DaemonCmd;
use crate::cli::{exit, render};
use crate::daemon::lifecycle;
use crate::ipc::client::{Client, ClientError};
use crate::paths::Paths;
use crate::protocol::Request;

pub fn run(cmd: DaemonCmd, paths: &Paths, verbosity: u8) -> anyhow::Result<u8> {
    match cmd {
        DaemonCmd::Start {
            foreground: true,
            no_stderr_log,
            ..
        } => foreground(paths, verbosity, !no_stderr_log),
        DaemonCmd::Start {
            foreground: false,
            json,
            ..
        } => super::block_on(async {
            // Starting what already runs is done, not a failure (scripts and service files call it freely).
            if let Ok(c) = Client::connect(&paths.socket(), "cli").await {
                if json {
                    render::json(&serde_json::json!({
                        "started": false, "running": true, "pid": c.daemon_pid, "version": c.daemon_version,
                    }))?;
                } else {
                    println!(
                        "palingenesis daemon already running (pid {}, version {})",
                        c.daemon_pid, c.daemon_version
                    );
                }
                return Ok(exit::OK);
            }
            let pid = lifecycle::start_detached(paths, verbosity).await?;
            if json {
                render::json(&serde_json::json!({
                    "started": true, "running": true, "pid": pid,
                    "version": env!("CARGO_PKG_VERSION"), "log": paths.log_file(),
                }))?;
            } else {
                println!(
                    "palingenesis daemon started (pid {pid}); log: {}",
                    paths.log_file().display()
                );
            }
            Ok(exit::OK)
        }),
        DaemonCmd::Stop(f) => super::block_on(async {
            let stopped = lifecycle::stop(paths).await?;
            if f.json {
                render::json(&serde_json::json!({ "stopped": stopped.is_some(), "pid": stopped }))?;
                return Ok(exit::OK);
            }
            match stopped {
                Some(pid) => println!("palingenesis daemon stopped (pid {pid})"),
                None => println!("palingenesis daemon was not running"),
            }
            Ok(exit::OK)
        }),
        DaemonCmd::Restart(f) => super::block_on(async {
            // One typo must not cost the working daemon: check the new config before stopping it.
            lifecycle::preflight(paths).context(
                "not restarting: the configuration would not start a daemon (the running one is left alone)",
            )?;
            let stopped = lifecycle::stop(paths).await?;
            let pid = lifecycle::start_detached(paths, verbosity).await?;
            if f.json {
                render::json(
                    &serde_json::json!({ "restarted": true, "stopped": stopped, "pid": pid }),
                )?;
            } else {
                println!("palingenesis daemon restarted (pid {pid})");
            }
            Ok(exit::OK)
        }),
        DaemonCmd::Reload(f) => {
            super::block_on(super::control::send(paths, Request::Reload, f.json))
        }
        DaemonCmd::Status(f) => super::block_on(async {
            match Client::connect(&paths.socket(), "cli").await {
                Ok(c) => {
                    if f.json {
                        render::json(
                            &serde_json::json!({"running": true, "pid": c.daemon_pid, "version": c.daemon_version}),
                        )?;
                    } else {
                        println!(
                            "running (pid {}, version {})",
                            c.daemon_pid, c.daemon_version
                        );
                    }
                    Ok(exit::OK)
                }
                Err(e @ ClientError::NotRunning { .. }) => {
                    if f.json {
                        render::json(&serde_json::json!({"running": false}))?;
                        Ok(exit::NOT_RUNNING)
                    } else {
                        Err(e.into())
                    }
                }
                Err(e) => Err(e.into()),
            }
        }),
    }
}

/// Threads of the daemon's blocking pool at most.
const DAEMON_BLOCKING_THREADS: usize = 32;

fn foreground(paths: &Paths, verbosity: u8, stderr: bool) -> anyhow::Result<u8> {
    let config = crate::config::load(&paths.config_file)?;
    let _guard = crate::logging::init(crate::logging::LogOptions {
        verbosity,
        default_level: &config.daemon.log_level,
        format: config.daemon.log_format,
        file: Some((
            &paths.log_file(),
            config.daemon.log_max_bytes,
            config.daemon.log_keep,
        )),
        stderr,
    })
    .context("opening the log file")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Blocking work is short (reading a file, looking at /proc): a burst of it (1,000 new sessions)
        // queues rather than starting hundreds of threads, each with its own stack (15 MB resident
        // for 10 s); the cap leaves room for probes abandoned at their timeout.
        .max_blocking_threads(DAEMON_BLOCKING_THREADS)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(lifecycle::run_foreground(paths.clone(), config));
    // A blocking task stuck on a file must not keep a failed daemon alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result?;
    Ok(exit::OK)
}

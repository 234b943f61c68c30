//! The daemon as a library function: [`run`] takes an already-bound listener and a shutdown token, so the
//! binary and the tests start exactly the same thing. Process concerns (pid file, detaching, signals) live in
//! [`lifecycle`].

pub mod lifecycle;
pub mod pidfile;
mod recover;
pub mod reload;
mod spooled_hooks;

use std::sync::Arc;

use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::audit::{AuditEvent, AuditLog, AuditOptions, AuditWriter, EventType};
use crate::config::Config;
use crate::engine::{self, EngineDeps};
use crate::paths::Paths;
use crate::protocol::Request;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot prepare {path}: {source}")]
    Prepare {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("audit trail: {0}")]
    Audit(#[from] crate::audit::AuditError),
    #[error("opening the audit trail was interrupted: {0}")]
    Interrupted(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Wiring(#[from] crate::wiring::WiringError),
    /// The engine task ended on its own (a panic): the process must exit so a service manager restarts it,
    /// rather than linger answering "shutting down".
    #[error("the engine stopped unexpectedly ({0}); exiting so the daemon can be restarted")]
    EngineDied(EngineEnded),
}

/// How the engine task ended on its own.
#[derive(Debug, thiserror::Error)]
pub enum EngineEnded {
    #[error("it panicked")]
    Panicked,
    #[error("{0}")]
    Aborted(#[source] tokio::task::JoinError),
    #[error("it returned")]
    Returned,
}

pub struct DaemonContext {
    pub paths: Paths,
    pub config: Config,
    /// Each message asks for a config reload (SIGHUP).
    pub reload: Option<mpsc::Receiver<()>>,
}

/// Run the daemon until `shutdown` is cancelled (or a `shutdown` request arrives). Returns after every task
/// has finished and state has been saved.
pub async fn run(
    listener: UnixListener,
    ctx: DaemonContext,
    shutdown: CancellationToken,
) -> Result<(), DaemonError> {
    let DaemonContext {
        paths,
        config,
        reload,
    } = ctx;
    let state_dir = paths.state_dir.clone();
    tokio::fs::create_dir_all(&state_dir)
        .await
        .map_err(|source| DaemonError::Prepare {
            path: state_dir.clone(),
            source,
        })?;
    let audit_path = paths.audit_file();
    let options = AuditOptions {
        max_bytes: config.audit.max_bytes,
        keep: config.audit.keep,
    };
    let log = crate::tasks::spawn_blocking(move || AuditLog::open(&audit_path, options)).await??;
    let (audit, audit_task) = AuditWriter::spawn(log);
    let snapshot = match engine::load_snapshot(paths.state_file()).await {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "state file unreadable; starting with empty state (the old file was kept aside)");
            None
        }
    };

    let tracker = TaskTracker::new();
    let sources_stop = CancellationToken::new();
    let mut wired = crate::wiring::wire(&config)?;
    let (snapshot, recovered) = reconcile(snapshot, &state_dir, wired.file_roots()).await;
    let journal = crate::journal::Journal::start(
        crate::journal::path_in(&state_dir),
        &state_dir,
        audit.clone(),
        recovered.loaded,
    );
    for key in &recovered.moved_on {
        audit.record(
            AuditEvent::new(EventType::ResumeCompleted)
                .session(key.id.clone())
                .assistant(key.assistant)
                .outcome("verified")
                .message("the session moved on while palingenesis was down".to_string()),
        );
    }
    let (engine, handle, rx) = engine::engine(
        EngineDeps {
            resumers: wired.resumers.clone(),
            watching: wired.watching.clone(),
            config: config.clone(),
            paths: paths.clone(),
            audit: audit.clone(),
            shutdown: shutdown.clone(),
            clock: crate::clock::system(),
            journal: journal.clone(),
        },
        snapshot,
    );
    {
        // Stops journaled before a crash go to the engine again, ahead of anything the sources read.
        let sources = handle.source_sender();
        let stops = recovered.stops;
        crate::tasks::spawn_tracked(&tracker, async move {
            for obs in stops {
                if sources
                    .send(crate::model::SourceEvent::Observe(obs))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
    }
    let http_guard = if config.http.enabled {
        let (http, at) = (config.http.clone(), paths.clone());
        let loaded =
            crate::tasks::spawn_blocking(move || crate::http::auth::Guard::load(&http, &at))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        Some(loaded.map_err(|source| DaemonError::Prepare {
            path: paths.http_token_file(),
            source,
        })?)
    } else {
        None
    };
    let live = reload::Live::new(
        paths.clone(),
        &config,
        &wired,
        audit.clone(),
        tracker.clone(),
        sources_stop.clone(),
        handle.clone(),
    );
    let handle = handle.with_reloader(live.reloader());
    let sources_ready = wired.spawn_sources(
        engine.offsets(),
        handle.source_sender(),
        &audit,
        &tracker,
        sources_stop.clone(),
    );
    // Answer on the socket only once every source is in place, so that anything written after
    // `daemon start` returns is certain to be seen.
    let all_ready = futures::future::join_all(sources_ready);
    if tokio::time::timeout(std::time::Duration::from_secs(30), all_ready)
        .await
        .is_err()
    {
        warn!("sources were not ready within 30 s; starting anyway");
    }

    let chat = crate::chat::ChatControl::new(
        handle.clone(),
        audit.clone(),
        journal.clone(),
        paths.audit_file(),
    );
    let surface = crate::surface::Surface {
        engine: handle.clone(),
        saves: crate::saves::SavesHandle::start(
            paths.audit_file(),
            &audit,
            &tracker,
            sources_stop.clone(),
        ),
        trail: journal.clone(),
        spool: crate::hookspool::dir(&paths.state_dir),
    };
    live.start(surface.clone(), chat, http_guard)
        .await
        .map_err(|source| DaemonError::Prepare {
            path: config.http.bind.clone().into(),
            source,
        })?;
    crate::tasks::spawn_tracked(
        &tracker,
        spooled_hooks::run(
            crate::hookspool::dir(&paths.state_dir),
            surface.clone(),
            shutdown.clone(),
        ),
    );
    crate::tasks::spawn_tracked(
        &tracker,
        crate::ipc::server::serve(
            listener,
            Arc::new(surface),
            shutdown.clone(),
            tracker.clone(),
        ),
    );
    {
        // Wrappers started before this daemon (or survived its restart) are found by their sockets.
        let handle = handle.clone();
        let dir = crate::wrapper::sockets_dir(&paths);
        crate::tasks::spawn_tracked(&tracker, async move {
            for reg in crate::wrapper::client::discover(&dir).await {
                let resp = handle.request(Request::RegisterWrapper(reg)).await;
                tracing::debug!(?resp, "found a running wrapper");
            }
        });
    }
    if let Some(mut reload) = reload {
        let handle = handle.clone();
        let stop = shutdown.clone();
        crate::tasks::spawn_tracked(&tracker, async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    got = reload.recv() => match got {
                        Some(()) => {
                            let resp = handle.request(Request::Reload).await;
                            info!(?resp, "reload requested by signal");
                        }
                        None => break,
                    }
                }
            }
        });
    }

    audit.record(
        AuditEvent::new(EventType::DaemonStarted).metadata(serde_json::json!({
            "pid": std::process::id(),
            "version": env!("CARGO_PKG_VERSION"),
        })),
    );
    info!(pid = std::process::id(), "palingenesis daemon running");

    let engine_stop = shutdown.clone();
    let mut engine_task = crate::tasks::spawn(engine.run(rx, engine_stop));
    let died = tokio::select! {
        _ = shutdown.cancelled() => None,
        ended = &mut engine_task => Some(match ended {
            Err(e) if e.is_panic() => EngineEnded::Panicked,
            Err(e) => EngineEnded::Aborted(e),
            Ok(()) => EngineEnded::Returned,
        }),
    };
    if let Some(why) = died {
        tracing::error!(%why, "the engine task ended; the daemon exits");
        audit.record(
            AuditEvent::new(EventType::DaemonStopped)
                .outcome("failed")
                .message(format!("the engine stopped unexpectedly: {why}")),
        );
        shutdown.cancel();
        live.close();
        sources_stop.cancel();
        tracker.close();
        // Tasks that wait on the dead engine must not keep the process alive.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), tracker.wait()).await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), journal.flush()).await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), audit.flush()).await;
        return Err(DaemonError::EngineDied(why));
    }
    info!("shutting down");
    live.close();
    sources_stop.cancel();
    tracker.close();
    tracker.wait().await;
    drop(handle);
    let _ = engine_task.await;
    // The engine's last audit events pass through the journal's thread first.
    journal.flush().await;
    audit.record(AuditEvent::new(EventType::DaemonStopped));
    audit.flush().await;
    drop(audit);
    // Everything is flushed; the writer task ends once the last handle is gone.
    drop(audit_task);
    Ok(())
}

/// Bring the loaded state up to date with the journal and the file system (blocking work off the async
/// threads): alias offsets dropped, attempts and stops the state missed put back, attempts in flight judged.
async fn reconcile(
    snapshot: Option<engine::EngineSnapshot>,
    state_dir: &std::path::Path,
    roots: Vec<std::path::PathBuf>,
) -> (Option<engine::EngineSnapshot>, recover::Recovered) {
    let state_dir = state_dir.to_path_buf();
    let had_state = snapshot.is_some();
    let work = crate::tasks::spawn_blocking(move || {
        let mut snap = snapshot.unwrap_or_default();
        let dropped = crate::sources::canonical::prune_alias_offsets(&mut snap.offsets, &roots);
        if dropped > 0 {
            info!(
                dropped,
                "forgot the read offsets of files reached through symlinked directories"
            );
        }
        let recovered = recover::recover(&state_dir, &mut snap);
        if !recovered.restored.is_empty() || !recovered.loaded.live.is_empty() {
            info!(
                restored = recovered.restored.len(),
                live = recovered.loaded.live.len(),
                moved_on = recovered.moved_on.len(),
                "reconciled resume attempts after a restart"
            );
        }
        let keep = had_state || !recovered.restored.is_empty();
        (keep.then_some(snap), recovered)
    });
    match work.await {
        Ok(done) => done,
        Err(e) => {
            warn!(error = %e, "reconciling state after a restart failed; starting with empty state");
            (None, recover::Recovered::default())
        }
    }
}

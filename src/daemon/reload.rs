//! What depends on the configuration while the daemon runs, and `daemon reload` (or SIGHUP): re-read the
//! file, apply every changed key that can change in a running daemon, and say exactly which cannot.
//!
//! Applied live: the resume policy (`[resume]`, `[new_session]`, `[backup]`), the assistants' sections for
//! resumes (binary, extra arguments, homes), notifications and the Telegram bot (rebuilt), OpenTelemetry
//! (restarted), the HTTP API (new token and hosts at once; rebound on a change of `bind`, `enabled` or
//! `[chat]`), `[fleet]` (read by each command). Read only at start, so reported as waiting for a restart:
//! `[daemon]` (logging), `[audit]` (rotation), `[monitoring]` and any change to what the sources watch.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::audit::{AuditEvent, AuditWriter, EventType};
use crate::chat::ChatControl;
use crate::config::Config;
use crate::engine::{EngineHandle, Reloader};
use crate::http::auth::Guard;
use crate::paths::Paths;
use crate::protocol::{ErrorCode, Response, WatchInfo};
use crate::resume::Resumers;
use crate::surface::Surface;
use crate::wiring::Wired;

/// Sections read only when the daemon starts.
const AT_START_ONLY: [&str; 3] = ["daemon", "audit", "monitoring"];

/// Why a change to `key` waits for a daemon restart, or `None` when a reload applies it. (A change to an
/// assistant's section that moves what is watched also waits; the reload says so.)
pub fn restart_needed_for(key: &str) -> Option<String> {
    // The engine reads them at every save (and plans parking again on a reload), from the config a reload
    // hands it.
    if key == "daemon.forget_after_days" || key == "daemon.park_after_secs" {
        return None;
    }
    let section = key.split('.').next().unwrap_or(key);
    AT_START_ONLY
        .contains(&section)
        .then(|| format!("[{section}] is read when the daemon starts"))
}

/// The services built from the config, and rebuilt by a reload.
pub struct Live {
    paths: Paths,
    audit: AuditWriter,
    tracker: TaskTracker,
    /// Parent of every service's own token (the daemon's sources-stop token).
    stop: CancellationToken,
    engine: EngineHandle,
    state: tokio::sync::Mutex<State>,
    /// What the HTTP API and the Telegram bot serve; set once by [`Live::start`], taken at shutdown (they
    /// hold the engine handle, which holds this).
    parts: std::sync::Mutex<Option<(Surface, ChatControl)>>,
}

struct State {
    config: Config,
    watching: Vec<WatchInfo>,
    resumers: Resumers,
    /// Keys changed by an earlier reload that still wait for a restart.
    pending_restart: BTreeSet<String>,
    notifiers: CancellationToken,
    otel: CancellationToken,
    http: Option<(CancellationToken, Arc<Guard>)>,
}

/// What one reload did.
#[derive(Debug, Default, PartialEq)]
pub struct Applied {
    pub applied: Vec<String>,
    /// Key, and why it waits for a restart.
    pub not_applied: Vec<(String, String)>,
}

impl Live {
    /// `engine` is the handle without a reloader (the reloader is made from this).
    pub fn new(
        paths: Paths,
        config: &Config,
        wired: &Wired,
        audit: AuditWriter,
        tracker: TaskTracker,
        stop: CancellationToken,
        engine: EngineHandle,
    ) -> Arc<Live> {
        Arc::new(Live {
            paths,
            audit,
            tracker,
            stop: stop.clone(),
            engine,
            state: tokio::sync::Mutex::new(State {
                config: config.clone(),
                watching: wired.watching.clone(),
                resumers: wired.resumers.clone(),
                pending_restart: BTreeSet::new(),
                notifiers: stop.child_token(),
                otel: stop.child_token(),
                http: None,
            }),
            parts: std::sync::Mutex::new(None),
        })
    }

    /// The reloader to install on the engine handle.
    pub fn reloader(self: &Arc<Self>) -> Reloader {
        let live = self.clone();
        Arc::new(move || {
            let live = live.clone();
            Box::pin(async move { live.reload().await })
        })
    }

    /// Start notifications, the Telegram bot, OpenTelemetry and the HTTP API (with `guard`, when enabled).
    pub async fn start(
        &self,
        surface: Surface,
        chat: ChatControl,
        guard: Option<Arc<Guard>>,
    ) -> std::io::Result<()> {
        *self.parts.lock().unwrap_or_else(|e| e.into_inner()) = Some((surface, chat));
        let mut st = self.state.lock().await;
        let config = st.config.clone();
        self.start_notifiers(&mut st, &config);
        if let Err(e) = self.start_otel(&mut st, &config) {
            warn!(error = %e, "OpenTelemetry export could not start; continuing without it");
        }
        if let Some(guard) = guard {
            let token = self.stop.child_token();
            self.spawn_http(&config, guard.clone(), token.clone())
                .await?;
            st.http = Some((token, guard));
        }
        Ok(())
    }

    /// Forget the surfaces (they hold the engine handle, which holds this): called at shutdown.
    pub fn close(&self) {
        self.parts.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    async fn reload(&self) -> Response {
        let mut st = self.state.lock().await;
        let file = self.paths.config_file.clone();
        let loaded = crate::tasks::spawn_blocking(move || crate::config::load(&file)).await;
        let new = match loaded {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return self.reject(e.to_string()),
            Err(e) => return self.reject(e.to_string()),
        };
        let wired = match crate::wiring::wire(&new) {
            Ok(w) => w,
            Err(e) => return self.reject(e.to_string()),
        };
        let changed = crate::config::changed_keys(&st.config, &new);
        let mut done = Applied::default();
        // The token file may have changed without the config (a rotated generated token).
        if let Some((_, guard)) = &st.http {
            let (guard, http, paths) = (guard.clone(), new.http.clone(), self.paths.clone());
            let reloaded = crate::tasks::spawn_blocking(move || guard.reload(&http, &paths)).await;
            if let Err(e) = reloaded.unwrap_or_else(|e| Err(std::io::Error::other(e))) {
                warn!(error = %e, "HTTP API keeps its old token");
                for key in changed.iter().filter(|k| is_guard_key(k)) {
                    done.not_applied.push((
                        key.clone(),
                        format!("the HTTP API keeps its old token: {e}"),
                    ));
                }
            }
        }
        let (resumers, kept) = rewire(&st, &wired, &changed);
        self.apply(&mut st, &new, &kept, &changed, &mut done).await;
        st.resumers = resumers.clone();
        self.engine.reconfigure(new.clone(), resumers).await;
        st.config = new;
        for (key, _) in &done.not_applied {
            st.pending_restart.insert(key.clone());
        }
        let earlier: Vec<String> = st
            .pending_restart
            .iter()
            .filter(|k| !changed.contains(k))
            .cloned()
            .collect();
        self.answer(&done, &earlier)
    }

    /// Apply each changed key; what cannot change while running goes to `done.not_applied`.
    async fn apply(
        &self,
        st: &mut State,
        new: &Config,
        kept: &BTreeMap<String, String>,
        changed: &[String],
        done: &mut Applied,
    ) {
        let section = |k: &str| k.split('.').next().unwrap_or(k).to_string();
        let touched = |names: &[&str]| changed.iter().any(|k| names.contains(&section(k).as_str()));
        if touched(&["notifications", "chat"]) {
            self.start_notifiers(st, new);
        }
        let otel = if touched(&["otel"]) {
            self.start_otel(st, new).err()
        } else {
            None
        };
        let rebind = changed
            .iter()
            .any(|k| k == "http.bind" || k == "http.enabled" || section(k) == "chat");
        let http = if rebind {
            self.rebind(st, new).await.err()
        } else {
            None
        };
        for key in changed {
            let s = section(key);
            let why = if let Some(why) = restart_needed_for(key) {
                Some(why)
            } else if s == "otel" {
                otel.as_ref()
                    .map(|e| format!("OpenTelemetry could not restart: {e}"))
            } else if key == "http.bind" || key == "http.enabled" || s == "chat" {
                http.clone()
            } else {
                kept.get(&s).cloned()
            };
            match why {
                Some(why) => done.not_applied.push((key.clone(), why)),
                None if !done.not_applied.iter().any(|(k, _)| k == key) => {
                    done.applied.push(key.clone())
                }
                None => {}
            }
        }
    }

    fn start_notifiers(&self, st: &mut State, config: &Config) {
        st.notifiers.cancel();
        st.notifiers = self.stop.child_token();
        crate::notify::spawn(config, &self.audit, &self.tracker, st.notifiers.clone());
        let chat = self.parts.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some((_, chat)) = chat
            && let Some(bot) = crate::chat::telegram::TelegramBot::from_config(
                &config.notifications,
                &config.chat,
                chat,
            )
        {
            crate::tasks::spawn_tracked(&self.tracker, bot.run(st.notifiers.clone()));
        }
    }

    fn start_otel(&self, st: &mut State, config: &Config) -> Result<(), crate::otel::OtelError> {
        st.otel.cancel();
        st.otel = self.stop.child_token();
        crate::otel::spawn(&config.otel, &self.audit, &self.tracker, st.otel.clone())
    }

    /// Move the HTTP API to the new `bind` (or start or stop it). On failure the old one keeps serving.
    async fn rebind(&self, st: &mut State, new: &Config) -> Result<(), String> {
        if !new.http.enabled {
            if let Some((token, _)) = st.http.take() {
                token.cancel();
                info!("HTTP API stopped by a reload");
            }
            return Ok(());
        }
        let guard = match &st.http {
            Some((_, guard)) => guard.clone(),
            None => {
                let (http, paths) = (new.http.clone(), self.paths.clone());
                crate::tasks::spawn_blocking(move || Guard::load(&http, &paths))
                    .await
                    .unwrap_or_else(|e| Err(std::io::Error::other(e)))
                    .map_err(|e| format!("the HTTP API token could not be read: {e}"))?
            }
        };
        let same_address = st.config.http.enabled && st.config.http.bind == new.http.bind;
        if same_address && let Some((old, _)) = st.http.take() {
            // The address is taken by the server being replaced: let it go first.
            old.cancel();
        }
        let token = self.stop.child_token();
        let mut tries = 0;
        loop {
            match self.spawn_http(new, guard.clone(), token.clone()).await {
                Ok(()) => break,
                Err(e) if same_address && tries < 40 => {
                    tries += 1;
                    tracing::debug!(error = %e, "waiting for the old HTTP listener to close");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => {
                    return Err(format!(
                        "cannot listen on {}: {e}; the HTTP API {}",
                        new.http.bind,
                        match &st.http {
                            Some(_) => format!("stays on {}", st.config.http.bind),
                            None => "is not running".into(),
                        }
                    ));
                }
            }
        }
        if let Some((old, _)) = st.http.replace((token, guard)) {
            old.cancel();
        }
        Ok(())
    }

    async fn spawn_http(
        &self,
        config: &Config,
        guard: Arc<Guard>,
        token: CancellationToken,
    ) -> std::io::Result<()> {
        let parts = self.parts.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some((surface, chat)) = parts else {
            return Err(std::io::Error::other("the daemon is shutting down"));
        };
        crate::http::spawn(
            &config.http,
            surface,
            self.audit.clone(),
            crate::chat::routes::router(&config.chat, &chat),
            guard,
            &self.tracker,
            token,
        )
        .await
    }

    fn reject(&self, error: String) -> Response {
        self.audit
            .record(AuditEvent::new(EventType::ConfigRejected).message(error.clone()));
        Response::error(
            ErrorCode::InvalidConfig,
            format!("new configuration rejected, keeping the old one: {error}"),
        )
    }

    fn answer(&self, done: &Applied, earlier: &[String]) -> Response {
        let outcome = match (done.applied.is_empty(), done.not_applied.is_empty()) {
            (true, true) => "unchanged",
            (_, true) => "applied",
            (true, false) => "not_applied",
            (false, false) => "partly_applied",
        };
        let mut message = match outcome {
            "unchanged" => "configuration unchanged".to_string(),
            _ if done.applied.is_empty() => {
                "configuration reloaded; nothing could be applied live".into()
            }
            _ => format!(
                "configuration reloaded; applied now: {}",
                done.applied.join(", ")
            ),
        };
        if !done.not_applied.is_empty() {
            let list: Vec<String> = done
                .not_applied
                .iter()
                .map(|(k, why)| format!("{k} ({why})"))
                .collect();
            message.push_str(&format!(
                "\nNOT applied until `palingenesis daemon restart`: {}",
                list.join("; ")
            ));
        }
        if !earlier.is_empty() {
            message.push_str(&format!(
                "\nstill waiting for a restart from an earlier reload: {}",
                earlier.join(", ")
            ));
        }
        self.audit.record(
            AuditEvent::new(EventType::ConfigChanged)
                .outcome(outcome)
                .message(message.clone())
                .metadata(serde_json::json!({
                    "applied": done.applied,
                    "not_applied": done.not_applied.iter().map(|(k, why)| {
                        serde_json::json!({"key": k, "why": why})
                    }).collect::<Vec<_>>(),
                    "waiting_for_restart": earlier,
                })),
        );
        info!(%outcome, "configuration reloaded");
        Response::done(message)
    }
}

/// The resumers after a reload: an assistant whose section changed gets the new one when it can work beside
/// the running sources; otherwise it keeps the old one, and the returned map says why (by section name).
fn rewire(st: &State, wired: &Wired, changed: &[String]) -> (Resumers, BTreeMap<String, String>) {
    let mut resumers = st.resumers.clone();
    let mut kept = BTreeMap::new();
    for adapter in crate::assistants::all() {
        let assistant = adapter.assistant();
        let name = assistant.as_str();
        if !changed.iter().any(|k| k.split('.').next() == Some(name)) {
            continue;
        }
        let watch = |list: &[WatchInfo]| -> Vec<WatchInfo> {
            list.iter()
                .filter(|w| w.assistant == assistant)
                .cloned()
                .collect()
        };
        let why = if watch(&st.watching) != watch(&wired.watching) {
            Some("it changes what is watched, which is set up when the daemon starts")
        } else if !adapter.resumer_rewires_alone() {
            Some("its resumer shares state with its running watcher")
        } else {
            None
        };
        match (why, wired.resumers.get(assistant)) {
            (None, Some(new)) => resumers = resumers.with(assistant, new),
            (Some(why), _) => {
                kept.insert(name.to_string(), why.to_string());
            }
            (None, None) => {
                kept.insert(
                    name.to_string(),
                    "it is not watched in this daemon".to_string(),
                );
            }
        }
    }
    (resumers, kept)
}

fn is_guard_key(key: &str) -> bool {
    key == "http.token" || key == "http.allowed_hosts"
}

//! Following a live opencode server: its global event stream, reconnected after a drop or a restart,
//! turned into observations. A session's outcome is decided only once it is idle, from its last assistant
//! message; on every (re)connect the recent sessions are swept, so a turn the server dropped by dying is
//! seen as interrupted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::Value;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use super::ServerLink;
use super::api::Api;
use super::sse::{Event, SseDecoder};
use super::track::{Step, Tracker};
use crate::assistants::opencode::records::{SessionStatus, classify_message};
use crate::classify::ClassifyContext;
use crate::model::Secret;
use crate::model::{Locator, Observation, Origin, SessionKey, Signal, StopReason};
use crate::model::{SourceEvent, SourceTx};

/// opencode sends `server.heartbeat` every 10 s; silence this long means the connection is dead.
const SILENCE: Duration = Duration::from_secs(35);
/// After `session.idle` the final message update follows within milliseconds; read it after this.
const SETTLE: Duration = Duration::from_millis(400);
const RECONNECT_MIN: Duration = Duration::from_millis(250);
const RECONNECT_MAX: Duration = Duration::from_secs(30);
/// A user's server is followed without the supervisor's health gate, so a (re)connect can land as its
/// port opens, where a request has hung for minutes: a quick health probe first, then the stream, whose
/// response head is bounded too.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Evidence recorded for a turn the server dropped.
pub const INTERRUPTED: &str =
    "the opencode server stopped mid-turn; the last assistant message was never completed";

/// Everything the follower needs.
pub struct Follow {
    pub link: ServerLink,
    pub password: Option<Secret>,
    /// Sessions updated longer ago than this are not swept.
    pub freshness: Duration,
    pub engine: SourceTx,
    pub tasks: TaskTracker,
}

/// How a session is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// It just went idle.
    Idle,
    /// It was busy when the stream dropped.
    WasBusy,
    /// Swept after a (re)connect: only problems are reported.
    Sweep,
}

/// Follow the server published on `link` until `stop`.
pub async fn follow(f: Follow, stop: CancellationToken) {
    let mut tracker = Tracker::default();
    let mut backoff = RECONNECT_MIN;
    loop {
        let url = tokio::select! {
            _ = stop.cancelled() => return,
            url = f.link.wait_live() => url,
        };
        let api = Api::new(&url, f.password.clone());
        let resp = match connect(&api).await {
            Ok(r) => r,
            Err(e) => {
                debug!(error = %e, "opencode event stream: connect failed; retrying");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(RECONNECT_MAX);
                continue;
            }
        };
        backoff = RECONNECT_MIN;
        info!(url = %api.base(), "following opencode events");
        let was_busy = tracker.take_busy();
        let dirs: Vec<(String, Option<PathBuf>)> = was_busy
            .iter()
            .map(|s| (s.clone(), tracker.dir(s)))
            .collect();
        let (a, e, fr) = (api.clone(), f.engine.clone(), f.freshness);
        crate::tasks::spawn_tracked(&f.tasks, async move { sweep(&a, dirs, fr, &e).await });
        if !read_stream(&f, &api, resp, &mut tracker, &stop).await {
            return;
        }
        info!(url = %api.base(), "opencode event stream ended; reconnecting");
    }
}

/// Open the event stream once the server answers its health check.
async fn connect(api: &Api) -> Result<reqwest::Response, super::api::ApiError> {
    api.health(PROBE_TIMEOUT).await?;
    api.events(CONNECT_TIMEOUT).await
}

/// Read events until the stream ends (true) or `stop` (false).
async fn read_stream(
    f: &Follow,
    api: &Api,
    resp: reqwest::Response,
    tracker: &mut Tracker,
    stop: &CancellationToken,
) -> bool {
    let mut stream = resp.bytes_stream();
    let mut decoder = SseDecoder::default();
    let mut checks: BTreeMap<String, Instant> = BTreeMap::new();
    loop {
        let next_due = checks.values().min().copied();
        tokio::select! {
            _ = stop.cancelled() => return false,
            chunk = tokio::time::timeout(SILENCE, stream.next()) => match chunk {
                Ok(Some(Ok(bytes))) => {
                    for data in decoder.push(&bytes) {
                        let Some(ev) = Event::parse(&data) else {
                            crate::sources::garbage::count("opencode-events", 1);
                            continue;
                        };
                        for step in tracker.on_event(&ev) {
                            match step {
                                Step::Emit(id, signal) => {
                                    let obs = observation(&id, tracker.dir(&id), api.base(), Utc::now(), signal);
                                    if f.engine.send(SourceEvent::Observe(obs)).await.is_err() {
                                        return false;
                                    }
                                }
                                Step::Check(id) => {
                                    checks.insert(id, Instant::now() + SETTLE);
                                }
                                Step::Cancel(id) => {
                                    checks.remove(&id);
                                }
                            }
                        }
                    }
                }
                Ok(Some(Err(e))) => {
                    debug!(error = %e, "opencode event stream broke");
                    return true;
                }
                Ok(None) => return true,
                Err(_) => {
                    warn!("opencode event stream silent for {SILENCE:?}; reconnecting");
                    return true;
                }
            },
            _ = async { tokio::time::sleep_until(next_due.expect("guarded")).await }, if next_due.is_some() => {
                let now = Instant::now();
                let due: Vec<String> = checks.iter().filter(|(_, t)| **t <= now).map(|(s, _)| s.clone()).collect();
                for id in due {
                    checks.remove(&id);
                    let (a, e, dir) = (api.clone(), f.engine.clone(), tracker.dir(&id));
                    crate::tasks::spawn_tracked(&f.tasks, async move { check(&a, &id, dir.as_deref(), Mode::Idle, &e).await });
                }
            }
        }
    }
}

/// After a (re)connect: check the sessions that were busy, then every other recently updated one.
async fn sweep(
    api: &Api,
    was_busy: Vec<(String, Option<PathBuf>)>,
    freshness: Duration,
    engine: &SourceTx,
) {
    for (id, dir) in &was_busy {
        check(api, id, dir.as_deref(), Mode::WasBusy, engine).await;
    }
    let sessions = match api.sessions().await {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "opencode: listing sessions failed; sweep skipped");
            return;
        }
    };
    let since = Utc::now() - chrono::Duration::from_std(freshness).unwrap_or_default();
    for s in sessions {
        let Some(id) = s.get("id").and_then(Value::as_str) else {
            continue;
        };
        let recent = s
            .pointer("/time/updated")
            .and_then(ms_instant)
            .is_some_and(|t| t >= since);
        let child = s.get("parentID").is_some_and(|p| !p.is_null());
        if !recent || child || was_busy.iter().any(|(b, _)| b == id) {
            continue;
        }
        let dir = s
            .get("directory")
            .and_then(Value::as_str)
            .map(PathBuf::from);
        check(api, id, dir.as_deref(), Mode::Sweep, engine).await;
    }
}

/// Read the session's last assistant message and report what it says.
async fn check(api: &Api, id: &str, dir: Option<&Path>, mode: Mode, engine: &SourceTx) {
    let ctx = ClassifyContext::new(Utc::now(), crate::classify::env_tz());
    // The idle event can precede the message's final update by a few milliseconds.
    let tries = if mode == Mode::Idle { 4 } else { 1 };
    for attempt in 0..tries {
        let last = match api.last_assistant(id, dir).await {
            Ok(Some(m)) => m,
            Ok(None) => return,
            Err(e) => {
                debug!(session = id, error = %e, "opencode: reading messages failed");
                return;
            }
        };
        let signal = classify_message(&last, &ctx);
        let at = last.pointer("/time/completed").and_then(ms_instant);
        match signal {
            Some(Signal::Stopped { reason, .. })
                if mode == Mode::Sweep
                    && matches!(reason, StopReason::Completed | StopReason::UserExit) => {}
            Some(s @ Signal::Stopped { .. }) => {
                send(
                    engine,
                    observation(
                        id,
                        dir.map(Path::to_path_buf),
                        api.base(),
                        at.unwrap_or_else(Utc::now),
                        s,
                    ),
                )
                .await;
            }
            Some(_) => {}
            None if mode == Mode::Idle => {
                if attempt + 1 < tries {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                continue;
            }
            None => {
                if busy_now(api, id, dir).await {
                    return;
                }
                let at = match mode {
                    Mode::WasBusy => Utc::now(),
                    _ => last
                        .pointer("/time/created")
                        .and_then(ms_instant)
                        .unwrap_or_else(Utc::now),
                };
                let s = Signal::Stopped {
                    reason: StopReason::Transient { status: None },
                    evidence: INTERRUPTED.into(),
                };
                send(
                    engine,
                    observation(id, dir.map(Path::to_path_buf), api.base(), at, s),
                )
                .await;
            }
        }
        return;
    }
}

/// Whether the server says the session is running (busy or retrying) right now.
async fn busy_now(api: &Api, id: &str, dir: Option<&Path>) -> bool {
    match api.statuses(dir).await {
        Ok(all) => all.iter().any(|(s, st)| {
            s == id && matches!(st, SessionStatus::Busy | SessionStatus::Retry { .. })
        }),
        Err(_) => true,
    }
}

async fn send(engine: &SourceTx, obs: Observation) {
    let _ = engine.send(SourceEvent::Observe(obs)).await;
}

fn observation(
    id: &str,
    dir: Option<PathBuf>,
    url: &str,
    at: DateTime<Utc>,
    signal: Signal,
) -> Observation {
    Observation {
        session: SessionKey::new(crate::assistants::opencode::ASSISTANT, id),
        at,
        signal,
        origin: Origin::ServerEvents,
        locator: Locator {
            cwd: dir,
            server_url: Some(url.to_string()),
            ..Default::default()
        },
    }
}

/// Epoch milliseconds → instant (seconds or microseconds too, told apart by magnitude).
pub fn ms_instant(v: &Value) -> Option<DateTime<Utc>> {
    crate::clock::epoch_instant(v.as_i64()?)
}

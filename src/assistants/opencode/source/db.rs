//! Sessions run without a server (`opencode run`), seen in opencode's SQLite store. The database is opened
//! read-only for each look (WAL readers never block opencode), and looked at only when notify reports a
//! change to it or its WAL: no polling loop. Each look reads the messages updated since the last one and
//! reports, per changed session, what its last message says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::events::ms_instant;
use crate::assistants::opencode::records::classify_message;
use crate::classify::ClassifyContext;
use crate::model::{Locator, Observation, Origin, SessionKey, Signal};
use crate::model::{SourceEvent, SourceTx};

/// Writes come in bursts (a message, then its parts); look once they settle.
const SETTLE: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("opencode database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

/// A top-level session whose messages changed, with its last message.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub session: String,
    pub directory: PathBuf,
    /// The last message's JSON (`data`), with `id` added.
    pub last: Value,
}

/// Sessions with messages updated after `since_ms`, and the newest update seen (the next `since_ms`).
pub fn changed_since(db: &Path, since_ms: i64) -> Result<(Vec<Changed>, i64), DbError> {
    let err = |source| DbError::Sqlite {
        path: db.to_path_buf(),
        source,
    };
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(err)?;
    conn.busy_timeout(Duration::from_secs(2)).map_err(err)?;
    let mut stmt = conn
        .prepare(
            "SELECT m.session_id, s.directory, MAX(m.time_updated) FROM message m \
             JOIN session s ON s.id = m.session_id \
             WHERE m.time_updated > ?1 AND s.parent_id IS NULL GROUP BY m.session_id",
        )
        .map_err(err)?;
    let rows: Vec<(String, String, i64)> = stmt
        .query_map([since_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let mut last_stmt = conn
        .prepare(
            "SELECT id, data FROM message WHERE session_id = ?1 \
             ORDER BY time_created DESC, id DESC LIMIT 1",
        )
        .map_err(err)?;
    let mut out = Vec::new();
    let mut newest = since_ms;
    for (session, directory, updated) in rows {
        newest = newest.max(updated);
        let last: Option<(String, String)> = last_stmt
            .query_row([&session], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(err)?;
        let Some((id, data)) = last else { continue };
        let Ok(mut msg) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        if let Some(m) = msg.as_object_mut() {
            m.insert("id".into(), Value::String(id));
        }
        out.push(Changed {
            session,
            directory: PathBuf::from(directory),
            last: msg,
        });
    }
    Ok((out, newest))
}

/// What a changed session's last message says, as an observation (None while a turn is in flight).
/// `server_url`: a live server sharing this database, through which the session can be reached.
pub fn observation(
    c: &Changed,
    ctx: &ClassifyContext,
    server_url: Option<String>,
) -> Option<Observation> {
    let signal = classify_message(&c.last, ctx)?;
    if !matches!(signal, Signal::Stopped { .. }) {
        return None;
    }
    let at = c
        .last
        .pointer("/time/completed")
        .and_then(ms_instant)
        .unwrap_or_else(Utc::now);
    Some(Observation {
        session: SessionKey::new(crate::assistants::opencode::ASSISTANT, c.session.clone()),
        at,
        signal,
        origin: Origin::Database,
        locator: Locator {
            cwd: Some(c.directory.clone()),
            server_url,
            ..Default::default()
        },
    })
}

/// Watch the database at `db` (it need not exist yet). `since_ms` is the persisted high-water mark.
/// `shared_with`: the supervised server, which uses this same database; while it is live, the sessions
/// found here are reached through it.
pub async fn follow(
    db: PathBuf,
    since_ms: i64,
    shared_with: Option<super::ServerLink>,
    engine: SourceTx,
    stop: CancellationToken,
) {
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let mut since = since_ms;
    // The first look replays the freshness window: only problems are worth reporting from it.
    let mut first = true;
    let mut watched: Option<(PathBuf, notify::RecommendedWatcher)> = None;
    loop {
        // Watch the database's folder once it exists, else its nearest existing ancestor until it appears.
        let target = nearest_existing(db.parent().unwrap_or(Path::new("/")));
        if watched.as_ref().map(|(p, _)| p) != Some(&target) {
            watched = watch_dir(&target, &db, tx.clone()).map(|w| (target.clone(), w));
        }
        if db.exists() {
            debug!(since, "looking at the opencode database");
            let path = db.clone();
            match crate::tasks::spawn_blocking(move || changed_since(&path, since)).await {
                Ok(Ok((changed, newest))) => {
                    let ctx = ClassifyContext::new(Utc::now(), crate::classify::env_tz());
                    for c in &changed {
                        let Some(obs) =
                            observation(c, &ctx, shared_with.as_ref().and_then(|l| l.current()))
                        else {
                            continue;
                        };
                        if first && finished(&obs.signal) {
                            continue;
                        }
                        if engine.send(SourceEvent::Observe(obs)).await.is_err() {
                            return;
                        }
                    }
                    first = false;
                    if newest != since {
                        since = newest;
                        let mark = vec![(db.clone(), u64::try_from(since).unwrap_or(0))];
                        let _ = engine.send(SourceEvent::Offsets(mark)).await;
                    }
                }
                Ok(Err(e)) => debug!(error = %e, "opencode database not readable yet"),
                Err(e) => warn!(error = %e, "opencode database reader failed"),
            }
        }
        debug!("waiting for opencode database changes");
        tokio::select! {
            _ = stop.cancelled() => return,
            got = rx.recv() => if got.is_none() { return },
        }
        // Let the burst settle, and fold the notifications it caused into one look.
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(SETTLE) => {}
        }
        while rx.try_recv().is_ok() {}
    }
}

fn finished(signal: &Signal) -> bool {
    matches!(
        signal,
        Signal::Stopped {
            reason: crate::model::StopReason::Completed | crate::model::StopReason::UserExit,
            ..
        }
    )
}

fn nearest_existing(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|a| a.is_dir())
        .unwrap_or(Path::new("/"))
        .to_path_buf()
}

/// A non-recursive watch on `dir` that pokes `tx` when the database or its WAL is written (or, while `dir`
/// is an ancestor still waiting for the database's folder, when anything is created). A full channel
/// already means "look"; nothing is lost. Our own reads touch only the `-shm` file, which is ignored, so
/// looking never triggers another look.
fn watch_dir(dir: &Path, db: &Path, tx: mpsc::Sender<()>) -> Option<notify::RecommendedWatcher> {
    use notify::{EventKind, Watcher};
    let waiting_for_folder = Some(dir) != db.parent();
    let name = db.file_name().unwrap_or_default().to_os_string();
    let mut wal = name.clone();
    wal.push("-wal");
    let handler = move |res: notify::Result<notify::Event>| {
        let Ok(e) = res else {
            let _ = tx.try_send(());
            return;
        };
        let relevant = if waiting_for_folder {
            matches!(e.kind, EventKind::Create(_))
        } else {
            matches!(
                e.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) && !matches!(
                e.kind,
                EventKind::Modify(notify::event::ModifyKind::Metadata(_))
            ) && e
                .paths
                .iter()
                .any(|p| p.file_name().is_some_and(|n| n == name || n == wal))
        };
        if relevant {
            let _ = tx.try_send(());
        }
    };
    let mut w = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            warn!(error = %e, "cannot watch for opencode database changes");
            return None;
        }
    };
    match w.watch(dir, notify::RecursiveMode::NonRecursive) {
        Ok(()) => Some(w),
        Err(e) => {
            warn!(dir = %dir.display(), error = %e, "cannot watch for opencode database changes");
            None
        }
    }
}

/// The high-water mark persisted for `db` (0 = never looked), clamped to the freshness window.
pub fn initial_mark(offsets: &BTreeMap<PathBuf, u64>, db: &Path, freshness: Duration) -> i64 {
    let floor =
        (Utc::now() - chrono::Duration::from_std(freshness).unwrap_or_default()).timestamp_millis();
    offsets
        .get(db)
        .and_then(|v| i64::try_from(*v).ok())
        .unwrap_or(floor)
        .max(floor)
}

#[cfg(test)]
mod tests;

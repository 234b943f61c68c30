//! The daemon's [`SavesBook`]: replayed from the audit trail at start-up, then kept current from the live
//! stream, shared by every control surface (status) and the metrics endpoint.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::{SavesBook, SavesReport};
use crate::audit::{AuditEvent, AuditQuery, AuditWriter, EventType};

/// The event types the book reads; the replay reads only these.
const RELEVANT: [EventType; 8] = [
    EventType::StopDetected,
    EventType::ResumeStarted,
    EventType::ResumeCompleted,
    EventType::SessionCreated,
    EventType::SessionDone,
    EventType::SessionFailed,
    EventType::NeedsAttention,
    EventType::DaemonStopped,
];

/// The longest a status answer waits for the start-up replay (a very long trail is reported as far as read).
const REPLAY_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A shared, live [`SavesBook`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SavesHandle {
    book: Arc<Mutex<SavesBook>>,
    /// True once the history has been replayed.
    replayed: tokio::sync::watch::Receiver<bool>,
}

impl SavesHandle {
    /// Replay `audit_file` (off the async threads), then follow `audit`'s live events until `stop`.
    pub fn start(
        audit_file: PathBuf,
        audit: &AuditWriter,
        tracker: &tokio_util::task::TaskTracker,
        stop: CancellationToken,
    ) -> SavesHandle {
        let (done, replayed) = tokio::sync::watch::channel(false);
        let handle = SavesHandle {
            book: Arc::default(),
            replayed,
        };
        // Subscribe before reading history, so nothing recorded in between is lost.
        let rx = audit.subscribe();
        let book = handle.clone();
        crate::tasks::spawn_tracked(tracker, async move {
            let last = book.replay(audit_file).await;
            let _ = done.send(true);
            book.follow(rx, last, stop).await;
        });
        handle
    }

    /// Wait (briefly) until the start-up replay is done, so a first `status` is already complete.
    pub async fn replayed(&self) {
        let mut replayed = self.replayed.clone();
        let _ = tokio::time::timeout(REPLAY_WAIT, replayed.wait_for(|done| *done)).await;
    }

    /// Fold the relevant history into the book (streamed, off the async threads); returns the instant of the
    /// last event read.
    async fn replay(&self, audit_file: PathBuf) -> Option<DateTime<Utc>> {
        let query = AuditQuery {
            types: RELEVANT.to_vec(),
            ..Default::default()
        };
        let book = self.clone();
        let read = crate::tasks::spawn_blocking(move || {
            let mut last = None;
            let mut replayed = SavesBook::new();
            let scanned = crate::audit::scan(&audit_file, &query, &mut |e| {
                last = Some(e.ts);
                replayed.observe(&e);
            });
            // A trail that cannot be read whole is not replayed at all (no half history).
            scanned.map(|_| {
                *book.lock() = replayed;
                last
            })
        })
        .await;
        match read {
            Ok(Ok(last)) => last,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the audit trail could not be read; saves start from zero");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the audit trail failed; saves start from zero");
                None
            }
        }
    }

    /// Apply live events newer than `replayed_until` (older ones were in the replay) until `stop`.
    async fn follow(
        &self,
        mut rx: broadcast::Receiver<std::sync::Arc<AuditEvent>>,
        replayed_until: Option<DateTime<Utc>>,
        stop: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                got = rx.recv() => match got {
                    Ok(e) if replayed_until.is_none_or(|t| e.ts > t) => self.lock().observe(&e),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
    }

    /// The figures as of `now`.
    pub fn report(&self, now: DateTime<Utc>) -> SavesReport {
        self.lock().report(now)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SavesBook> {
        // The book is plain data, consistent after every `observe`: a poisoned lock is still usable.
        self.book
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

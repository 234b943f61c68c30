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

/// A shared, live [`SavesBook`]. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct SavesHandle {
    book: Arc<Mutex<SavesBook>>,
}

impl SavesHandle {
    /// Replay `audit_file` (off the async threads), then follow `audit`'s live events until `stop`.
    pub fn start(
        audit_file: PathBuf,
        audit: &AuditWriter,
        tracker: &tokio_util::task::TaskTracker,
        stop: CancellationToken,
    ) -> SavesHandle {
        let handle = SavesHandle::default();
        // Subscribe before reading history, so nothing recorded in between is lost.
        let rx = audit.subscribe();
        let book = handle.clone();
        tracker.spawn(async move {
            let last = book.replay(audit_file).await;
            book.follow(rx, last, stop).await;
        });
        handle
    }

    /// Read the relevant history; returns the instant of the last event read.
    async fn replay(&self, audit_file: PathBuf) -> Option<DateTime<Utc>> {
        let query = AuditQuery {
            types: RELEVANT.to_vec(),
            ..Default::default()
        };
        let read =
            tokio::task::spawn_blocking(move || crate::audit::query(&audit_file, &query)).await;
        let events = match read {
            Ok(Ok(found)) => found.events,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the audit trail could not be read; saves start from zero");
                Vec::new()
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the audit trail failed; saves start from zero");
                Vec::new()
            }
        };
        let mut book = self.lock();
        for e in &events {
            book.observe(e);
        }
        events.last().map(|e| e.ts)
    }

    /// Apply live events newer than `replayed_until` (older ones were in the replay) until `stop`.
    async fn follow(
        &self,
        mut rx: broadcast::Receiver<AuditEvent>,
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

//! The daemon's handle on the trail: recording never blocks, appends happen on the blocking pool, and
//! live followers (the SSE stream, `events --follow` over the socket) get each event once written.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{AuditEvent, AuditLog};

/// How many written events a slow live follower may lag behind before it misses some. The channel's slots
/// are allocated up front and each holds an `Arc` (an event inline made them 248 bytes: 254 KB resident in
/// every daemon from its start, followers or not).
const LIVE_CAPACITY: usize = 1024;
/// Most events appended per trip to the blocking pool.
const BATCH: usize = 256;

// Nearly every command is a `Record`: boxing it would add an allocation per event to save a few hundred
// bytes on the rare `Flush`.
#[allow(clippy::large_enum_variant)]
enum Command {
    Record(AuditEvent),
    Flush(oneshot::Sender<()>),
}

/// A cloneable handle that records audit events from async code.
#[derive(Clone, Debug)]
pub struct AuditWriter {
    commands: mpsc::UnboundedSender<Command>,
    live: broadcast::Sender<Arc<AuditEvent>>,
}

impl AuditWriter {
    /// Start the task that appends to `log`. It ends once every handle is dropped and everything
    /// recorded has been written; await the returned handle at shutdown. Call within a Tokio runtime.
    pub fn spawn(log: AuditLog) -> (AuditWriter, JoinHandle<()>) {
        let (commands, rx) = mpsc::unbounded_channel();
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        let task = crate::tasks::spawn(run(Arc::new(log), rx, live.clone()));
        (AuditWriter { commands, live }, task)
    }

    /// Queue `event` for writing. Never blocks; failures are logged by the writer task.
    pub fn record(&self, event: AuditEvent) {
        if self.commands.send(Command::Record(event)).is_err() {
            tracing::warn!("the audit writer has stopped; an event was not recorded");
        }
    }

    /// Wait until every event recorded before this call has been written (or failed to be).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.commands.send(Command::Flush(done)).is_ok() {
            // An error means the task is gone, so there is nothing left to wait for.
            let _ = wait.await;
        }
    }

    /// Every event written from now on, in order.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<AuditEvent>> {
        self.live.subscribe()
    }
}

async fn run(
    log: Arc<AuditLog>,
    mut rx: mpsc::UnboundedReceiver<Command>,
    live: broadcast::Sender<Arc<AuditEvent>>,
) {
    let mut batch = Vec::new();
    let mut waiters = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(cmd) = next.take() {
            match cmd {
                Command::Record(ev) => batch.push(ev),
                Command::Flush(done) => waiters.push(done),
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let events = std::mem::take(&mut batch);
            let log = Arc::clone(&log);
            let written = crate::tasks::spawn_blocking(move || {
                events
                    .into_iter()
                    .filter(|ev| match log.append(ev) {
                        Ok(()) => true,
                        Err(e) => {
                            tracing::error!(error = %e, event = %ev.event, "cannot write an audit event");
                            false
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .await;
            match written {
                Ok(written) => {
                    for ev in written {
                        // An error only means nobody is listening right now.
                        let _ = live.send(Arc::new(ev));
                    }
                }
                Err(e) => tracing::error!(error = %e, "the audit append task failed"),
            }
        }
        for done in waiters.drain(..) {
            let _ = done.send(());
        }
    }
}

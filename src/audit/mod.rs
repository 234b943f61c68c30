//! The append-only audit trail, `{state_dir}/audit.jsonl`: one JSON [`AuditEvent`] per line.
//!
//! - [`AuditLog`] appends from any process (daemon, CLI, hook processes) under an OS lock, rotating
//!   `audit.jsonl` to `audit.jsonl.1`, `.2`, ... past a size; no line is ever lost or torn.
//! - [`AuditWriter`] is the daemon's non-blocking handle: record, flush, subscribe to live events.
//! - [`query`] reads everything back (`palingenesis events`), skipping and counting corrupt lines;
//!   [`follow`] then keeps tailing (`events --follow`).

mod event;
mod files;
mod follow;
mod lines;
mod log;
mod query;
mod writer;

#[cfg(test)]
mod tests;

use std::io;
use std::path::PathBuf;

pub use event::{AuditEvent, EventType};
pub use follow::{FALLBACK_POLL, follow};
pub use lines::MAX_LINE_BYTES;
pub use log::{AuditLog, AuditOptions};
pub use query::{AuditQuery, QueryResult, query, scan};
pub use writer::AuditWriter;

/// Why the trail could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file system refused an operation.
    #[error("cannot {about} {path}: {source}")]
    Io {
        path: PathBuf,
        about: &'static str,
        #[source]
        source: io::Error,
    },
    /// The event could not be turned into JSON.
    #[error("cannot serialize an audit event: {0}")]
    Serialize(#[source] serde_json::Error),
    /// The event's line would pass [`MAX_LINE_BYTES`], so readers would skip it; it was not written.
    #[error("audit event too large ({len} bytes; the limit is {MAX_LINE_BYTES})")]
    LineTooLong { len: usize },
    /// The blocking task doing the I/O panicked or was cancelled.
    #[error("background audit task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl AuditError {
    pub(crate) fn io(path: impl Into<PathBuf>, about: &'static str, source: io::Error) -> Self {
        AuditError::Io {
            path: path.into(),
            about,
            source,
        }
    }
}

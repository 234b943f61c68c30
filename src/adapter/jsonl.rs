//! The [`Sources`] of an assistant that appends each session to its own JSONL file: its format, followed below
//! a root with [`crate::sources::jsonl`].

use std::path::PathBuf;

use tokio::sync::oneshot;

use super::{SourceRun, Sources};
use crate::sources::feed::FeedSettings;
use crate::sources::jsonl::{self, JsonlFormat, JsonlRun};

/// Every session file of `format` below `root`, as a source to start.
pub struct JsonlSessions {
    pub format: JsonlFormat,
    pub root: PathBuf,
    pub feed: FeedSettings,
}

impl Sources for JsonlSessions {
    fn spawn(self: Box<Self>, run: SourceRun<'_>) -> Vec<oneshot::Receiver<()>> {
        let (ready, is_ready) = SourceRun::ready_pair();
        let offsets = run.offsets_below(&self.root);
        let follow = JsonlRun {
            root: self.root,
            offsets,
            feed: self.feed,
            engine: run.events,
            stop: run.stop,
            ready,
        };
        jsonl::spawn(self.format, follow, run.tracker);
        vec![is_ready]
    }

    fn file_roots(&self) -> Vec<PathBuf> {
        vec![self.root.clone()]
    }
}

impl JsonlSessions {
    /// The wiring of an assistant whose sessions are `format`'s files below `root`: that one place watched
    /// (shown as `source`), `resumer` to resume them.
    pub fn wiring(
        format: JsonlFormat,
        root: PathBuf,
        feed: FeedSettings,
        source: &str,
        resumer: std::sync::Arc<dyn crate::resume::Resumer>,
    ) -> super::Wiring {
        super::Wiring {
            watching: vec![crate::protocol::WatchInfo {
                assistant: format.assistant,
                source: source.into(),
                location: crate::paths::describe(&root),
            }],
            resumer,
            sources: Box::new(JsonlSessions { format, root, feed }),
        }
    }
}

/// A [`super::RecordReader`] over a format's pure line parser (`palingenesis inspect`).
pub struct LineReader {
    pub format: JsonlFormat,
    pub tz: crate::tz::Tz,
}

impl super::RecordReader for LineReader {
    fn read(&mut self, line: &str) -> Result<crate::formats::ParsedRecord, String> {
        (self.format.parse)(line, self.tz).map_err(|e| e.to_string())
    }
}

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

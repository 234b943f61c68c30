//! Which sources run and which resumers serve each assistant, decided from the config and the machine by each
//! assistant's adapter. With `[monitoring].assistants` empty every assistant is watched that its adapter finds:
//! a watcher whose directory does not exist yet waits for it cheaply, so an assistant installed after the
//! daemon started is picked up.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::audit::AuditWriter;
use crate::model::SourceTx;

use crate::adapter::{SourceRun, Sources, WireContext};
use crate::config::Config;
use crate::protocol::WatchInfo;
use crate::resume::Resumers;
use crate::sources::feed::FeedSettings;

/// An assistant's section that its adapter cannot use.
#[derive(Debug, thiserror::Error)]
#[error("[{assistant}]: {message}")]
pub struct WiringError {
    pub assistant: crate::model::Assistant,
    pub message: String,
}

/// What a daemon runs for the assistants it watches.
pub struct Wired {
    pub watching: Vec<WatchInfo>,
    pub resumers: Resumers,
    sources: Vec<Box<dyn Sources>>,
}

impl Wired {
    /// The directories whose files the sources follow.
    pub fn file_roots(&self) -> Vec<PathBuf> {
        self.sources.iter().flat_map(|s| s.file_roots()).collect()
    }

    /// Start every source, feeding `events` until `stop`; each returned receiver fires once a source is in
    /// place.
    pub fn spawn_sources(
        &mut self,
        offsets: &BTreeMap<PathBuf, u64>,
        events: SourceTx,
        audit: &AuditWriter,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Vec<oneshot::Receiver<()>> {
        self.sources
            .drain(..)
            .flat_map(|s| {
                s.spawn(SourceRun {
                    offsets,
                    events: events.clone(),
                    audit,
                    tracker,
                    stop: stop.clone(),
                })
            })
            .collect()
    }
}

/// The `[monitoring]` settings every file-following source uses.
pub fn feed_settings(config: &Config) -> FeedSettings {
    FeedSettings {
        max_line_bytes: config.monitoring.max_line_bytes,
        freshness: Duration::from_secs(config.monitoring.freshness_secs),
        catch_up: Duration::from_secs(config.monitoring.catch_up_secs),
    }
}

/// How long a resumed turn may run.
pub fn turn_timeout(config: &Config) -> Duration {
    Duration::from_secs(config.resume.verify_timeout_secs.max(60))
}

/// Ask every assistant's adapter what it runs under `config`.
pub fn wire(config: &Config) -> Result<Wired, WiringError> {
    let mut wired = Wired {
        watching: Vec::new(),
        resumers: Resumers::default(),
        sources: Vec::new(),
    };
    for adapter in crate::assistants::all() {
        let assistant = adapter.assistant();
        let ctx = WireContext {
            section: config.section(assistant),
            listed: config.listed(assistant),
            feed: feed_settings(config),
            turn_timeout: turn_timeout(config),
        };
        let wiring = adapter.wire(&ctx).map_err(|e| WiringError {
            assistant,
            message: e.to_string(),
        })?;
        if let Some(w) = wiring {
            wired.watching.extend(w.watching);
            wired.resumers = wired.resumers.with(assistant, w.resumer);
            wired.sources.push(w.sources);
        }
    }
    Ok(wired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistants::codex;

    fn config(text: &str) -> Config {
        crate::config::load_from_str(text, std::path::Path::new("t.toml"), &[]).unwrap()
    }

    #[test]
    fn codex_is_watched_without_configuration_and_its_home_is_configurable() {
        let w = wire(&config("[codex]\nhome = \"/srv/codex-home\"\n")).unwrap();
        assert!(w.watching.iter().any(|i| i.assistant == codex::ASSISTANT
            && i.source == "rollouts"
            && i.location.starts_with("/srv/codex-home/sessions")));
        assert!(w.resumers.get(codex::ASSISTANT).is_some());

        let w = wire(&config("[monitoring]\nassistants = [\"claude\"]\n")).unwrap();
        assert!(w.watching.iter().all(|i| i.assistant != codex::ASSISTANT));
        assert!(w.resumers.get(codex::ASSISTANT).is_none());
    }
}

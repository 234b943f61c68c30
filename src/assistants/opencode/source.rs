//! opencode: a live server (owned with [`supervisor`], or the user's own) followed through its event
//! stream ([`events`]), and sessions run without a server found in its SQLite store ([`db`]).
//!
//! The supervisor publishes the server's URL on a [`ServerLink`] once it is healthy (and withdraws it while
//! the server is down); the event follower and the resumer read the link.

pub mod api;
pub mod db;
pub mod events;
pub mod sse;
pub mod supervisor;
pub mod track;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::config::Section;
use crate::adapter::SourceRun;
use crate::protocol::WatchInfo;

/// The URL of the live opencode server, or None while there is none (not started yet, restarting).
#[derive(Clone)]
pub struct ServerLink {
    tx: Arc<watch::Sender<Option<String>>>,
}

impl std::fmt::Debug for ServerLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerLink({:?})", self.current())
    }
}

impl ServerLink {
    pub fn new(initial: Option<String>) -> ServerLink {
        ServerLink {
            tx: Arc::new(watch::channel(initial).0),
        }
    }

    pub fn set(&self, url: Option<String>) {
        self.tx.send_replace(url);
    }

    pub fn current(&self) -> Option<String> {
        self.tx.borrow().clone()
    }

    /// The URL as soon as a server is live.
    pub async fn wait_live(&self) -> String {
        let mut rx = self.tx.subscribe();
        let got = rx.wait_for(Option::is_some).await.map(|v| v.clone());
        match got {
            Ok(Some(url)) => url,
            // The sender lives in self, so the channel cannot close while we wait.
            _ => std::future::pending().await,
        }
    }
}

/// How palingenesis reaches opencode.
#[derive(Debug, Clone)]
pub struct OpencodePlan {
    /// Own an `opencode serve` process.
    pub supervise: bool,
    /// The server followed: the supervised one's URL, or the user's `server_url`.
    pub server_url: Option<String>,
    /// The SQLite store, for sessions run without a server.
    pub db: PathBuf,
    pub link: ServerLink,
    section: Section,
}

/// `$XDG_DATA_HOME/opencode/opencode.db` (`~/.local/share/…` without XDG_DATA_HOME), unless configured.
pub fn db_path(c: &Section) -> PathBuf {
    if let Some(p) = &c.db_path {
        return crate::paths::expand_home(p);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::paths::user_home().join(".local/share"));
    data.join("opencode").join("opencode.db")
}

/// Whether opencode is there to watch: configured, its database exists, or its binary is on PATH.
pub fn detected(c: &Section) -> bool {
    c.supervise
        || c.server_url.is_some()
        || c.binary.is_some()
        || c.db_path.is_some()
        || db_path(c).exists()
        || on_path("opencode")
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

/// The plan for opencode, or None when it is not watched (`listed`: see [`crate::adapter::WireContext`]).
pub fn plan(c: &Section, listed: Option<bool>) -> Option<OpencodePlan> {
    if !listed.unwrap_or_else(|| detected(c)) {
        return None;
    }
    let server_url = if c.supervise {
        Some(supervisor::ServeSpec::from_config(c).url())
    } else {
        c.server_url.clone()
    };
    // A user's server is taken as live at once (the follower reconnects until it answers); a supervised
    // one only once it is healthy.
    let link = ServerLink::new(server_url.clone().filter(|_| !c.supervise));
    Some(OpencodePlan {
        supervise: c.supervise,
        server_url,
        db: db_path(c),
        link,
        section: c.clone(),
    })
}

impl OpencodePlan {
    pub fn watch_info(&self) -> Vec<WatchInfo> {
        let mut out = Vec::new();
        if let Some(url) = &self.server_url {
            out.push(WatchInfo {
                assistant: super::ASSISTANT,
                source: if self.supervise {
                    "server (supervised)"
                } else {
                    "server"
                }
                .into(),
                location: url.clone(),
            });
        }
        out.push(WatchInfo {
            assistant: super::ASSISTANT,
            source: "database".into(),
            location: crate::paths::describe(&self.db),
        });
        out
    }

    /// Start the supervisor, the event follower and the database watcher.
    pub fn spawn(&self, freshness: Duration, run: SourceRun<'_>) {
        let SourceRun {
            offsets,
            events: engine,
            audit,
            tracker,
            stop,
        } = run;
        if self.supervise {
            let spec = supervisor::ServeSpec::from_config(&self.section);
            crate::tasks::spawn_tracked(
                tracker,
                supervisor::supervise(spec, self.link.clone(), audit.clone(), stop.clone()),
            );
        }
        if self.server_url.is_some() {
            let follow = events::Follow {
                link: self.link.clone(),
                password: self.section.server_password.clone(),
                freshness,
                engine: engine.clone(),
                tasks: tracker.clone(),
            };
            crate::tasks::spawn_tracked(tracker, events::follow(follow, stop.clone()));
        }
        let since = db::initial_mark(offsets, &self.db, freshness);
        let shared = self.supervise.then(|| self.link.clone());
        crate::tasks::spawn_tracked(
            tracker,
            db::follow(self.db.clone(), since, shared, engine, stop),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Section {
        let table: toml::Table = toml.parse().unwrap();
        crate::adapter::parse_section(table["opencode"].as_table().unwrap()).unwrap()
    }

    #[test]
    fn a_supervised_server_is_live_only_once_healthy() {
        let p = plan(
            &config("[opencode]\nsupervise = true\nserve_port = 4999\n"),
            None,
        )
        .unwrap();
        assert_eq!(p.server_url.as_deref(), Some("http://127.0.0.1:4999"));
        assert_eq!(p.link.current(), None);
        assert_eq!(p.watch_info()[0].source, "server (supervised)");
    }

    #[test]
    fn a_users_server_is_followed_at_once() {
        let p = plan(
            &config("[opencode]\nserver_url = \"http://127.0.0.1:4096\"\n"),
            None,
        )
        .unwrap();
        assert_eq!(p.link.current().as_deref(), Some("http://127.0.0.1:4096"));
        assert!(!p.supervise);
    }

    #[test]
    fn a_configured_database_is_watched_and_an_excluded_assistant_is_not() {
        let p = plan(&config("[opencode]\ndb_path = \"/data/oc.db\"\n"), None).unwrap();
        assert_eq!(p.db, PathBuf::from("/data/oc.db"));
        assert_eq!(p.server_url, None);
        let off = config("[opencode]\nsupervise = true\n");
        assert!(plan(&off, Some(false)).is_none());
    }

    #[tokio::test]
    async fn waiting_for_a_live_server_returns_when_one_is_published() {
        let link = ServerLink::new(None);
        let waiter = tokio::spawn({
            let link = link.clone();
            async move { link.wait_live().await }
        });
        tokio::task::yield_now().await;
        link.set(Some("http://127.0.0.1:1".into()));
        assert_eq!(waiter.await.unwrap(), "http://127.0.0.1:1");
    }
}

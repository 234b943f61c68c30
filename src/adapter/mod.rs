//! What the core asks of an assistant. Each assistant's folder under [`crate::assistants`] implements
//! [`Adapter`] once; the registry there lists the adapters. The core (engine, decide, control surfaces) reaches an
//! assistant only through this trait, so it names none.
//!
//! An adapter is static knowledge (how its processes, screens, records and hooks look) plus, for a running daemon,
//! its [`Wiring`]: the sources that follow its sessions and the resumer that continues them, built from its
//! config section.

mod jsonl;
pub mod mcp;
mod section;
mod versions;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use jsonl::{JsonlSessions, LineReader};
pub use mcp::{McpChange, McpInstaller, McpServerSpec, McpServersJson};
pub(crate) use section::config_section_methods;
pub use section::{Section, SectionError, check_in_file, parse_section, render_section};
pub use versions::{TestedRange, Version};

use crate::audit::AuditWriter;
use crate::classify::ClassifyContext;
use crate::formats::ParsedRecord;
use crate::interactive::ScreenRules;
use crate::model::{Assistant, ContextStrategy, SourceTx, StopReason};
use crate::procfs::AgentProcess;
use crate::protocol::WatchInfo;
use crate::resume::Resumer;
use crate::sources::feed::FeedSettings;

/// Everything palingenesis knows about one assistant.
pub trait Adapter: Send + Sync + 'static {
    fn assistant(&self) -> Assistant;

    /// Other spellings accepted where a user names the assistant (`claude-code`).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// Prefixes of environment variables worth carrying from the agent to a resumed agent, beyond the common
    /// ones (HOME, PATH, TZ, proxies, provider keys).
    fn env_prefixes(&self) -> &'static [&'static str] {
        &[]
    }

    /// How its processes are recognised.
    fn process(&self) -> &dyn AgentProcess;

    /// How its interactive screen is read; `None` means palingenesis never types into its terminal.
    fn screen(&self) -> Option<&dyn ScreenRules> {
        None
    }

    /// A reader of its own record format, one line at a time (`palingenesis classify`, `inspect`).
    fn record_reader(&self, ctx: ClassifyContext) -> Box<dyn RecordReader>;

    /// Classify free text the way this assistant words its stops (`palingenesis classify` on plain text).
    fn classify_text(&self, text: &str, ctx: &ClassifyContext) -> Option<StopReason> {
        crate::classify::classify_text(text, ctx)
    }

    /// Whether `path` is one of its transcripts (`palingenesis inspect` picks the reader by the file).
    fn owns_transcript(&self, _path: &Path) -> bool {
        false
    }

    /// The session a transcript belongs to, when its path says so.
    fn transcript_session(&self, _path: &Path) -> Option<String> {
        None
    }

    /// Read a hook payload the assistant sent (`palingenesis hook <assistant>`); `None` when it has no hooks.
    fn parse_hook(
        &self,
        _payload: &serde_json::Value,
        _ctx: &ClassifyContext,
    ) -> Option<ParsedRecord> {
        None
    }

    /// What its hook command prints so that the agent goes on with `instruction` instead of ending its turn
    /// (an early-checkpoint request); `None` when its hooks cannot do that.
    fn hook_continue(&self, _instruction: &str) -> Option<String> {
        None
    }

    /// How full the session's context is, read from what a hook payload points at (its transcript), for a
    /// hook that ends a turn. Blocking: called by the short-lived hook command, never by the daemon.
    fn hook_context_use(&self, _payload: &serde_json::Value) -> Option<crate::model::ContextUse> {
        None
    }

    /// Its hook installer, when it has hooks palingenesis can install.
    fn hooks(&self) -> Option<&dyn HookInstaller> {
        None
    }

    /// Environment variables in which it tells an MCP server it launched which session launched it.
    fn mcp_session_env(&self) -> &'static [&'static str] {
        &[]
    }

    /// The versions of the assistant's client the test suite proves palingenesis against (the pins in
    /// `tests/clients/package.json`); `None` when none are pinned.
    fn tested_versions(&self) -> Option<TestedRange> {
        None
    }

    /// How palingenesis's MCP server is registered with it (`palingenesis mcp install`), if it can be.
    fn mcp(&self) -> Option<&dyn McpInstaller> {
        None
    }

    /// Whether it can summarize a session in place (the `summarize` context strategy).
    fn can_summarize(&self) -> bool {
        false
    }

    /// The context strategy when its section names none; `default` is `[resume] context_strategy`.
    fn default_context_strategy(&self, default: ContextStrategy) -> ContextStrategy {
        default
    }

    /// Its config section, commented, for `config init`.
    fn config_template(&self) -> &'static str;

    /// Check its section as written in the config file `text` (errors carry the file position).
    fn check_section(&self, text: &str) -> Result<(), toml::de::Error>;

    /// Check its section after environment overrides.
    fn check_table(&self, section: &Section) -> Result<(), SectionError>;

    /// Its section with defaults filled and secrets redacted, for `config show`.
    fn show_section(&self, section: &Section) -> Result<toml::Table, SectionError>;

    /// What to run for it in a daemon; `None` when it is not to be watched.
    fn wire(&self, ctx: &WireContext<'_>) -> Result<Option<Wiring>, SectionError>;

    /// Whether a resumer made by a later [`Adapter::wire`] works beside the sources already running (a
    /// reload swaps only the resumer). False when the two share live state, such as a server they both reach.
    fn resumer_rewires_alone(&self) -> bool {
        true
    }
}

/// Reads an assistant's records one line at a time, keeping whatever state its format needs.
pub trait RecordReader {
    fn read(&mut self, line: &str) -> Result<ParsedRecord, String>;
}

/// Installs and removes an assistant's hooks in its own settings file.
pub trait HookInstaller: Send + Sync {
    /// The settings file the hooks go into.
    fn settings_path(&self) -> PathBuf;
    /// The command the assistant is to run for a hook: `exe` (this executable), quoted as it needs.
    fn command_for(&self, exe: &Path) -> String;
    /// Install hooks that run `command`. A settings file it cannot read as the assistant's settings is an
    /// error, and left untouched.
    fn install(&self, command: &str) -> Result<HookChange, BoxError>;
    /// Remove palingenesis's hooks, leaving every other setting alone.
    fn uninstall(&self) -> Result<HookChange, BoxError>;
    /// Whether hooks running `command` are installed (read-only; a file it cannot read is an error).
    fn installed(&self, command: &str) -> Result<Installed, BoxError>;
}

/// Whether palingenesis is set up in an assistant's file: what a read-only status query answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Installed {
    /// Installed exactly as installing now would write it.
    Yes,
    /// Installed, but differently (another executable, an older entry): installing again updates it.
    Outdated,
    /// Not installed.
    No,
}

/// What installing or removing hooks did to the settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookChange {
    /// It already was as asked (hooks installed with this command, or none of ours there): not written.
    Unchanged,
    /// Written; the previous file was copied to `backup` (none when there was no file).
    Written { backup: Option<PathBuf> },
}

/// An error from an assistant's own code, across the adapter boundary.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What an adapter is given to decide how it runs in a daemon.
pub struct WireContext<'a> {
    /// Its config section (empty when the file has none).
    pub section: &'a Section,
    /// `Some(listed)` when `[monitoring] assistants` names which assistants to watch; `None` for auto-detect.
    pub listed: Option<bool>,
    pub feed: FeedSettings,
    /// How long a resumed turn may take.
    pub turn_timeout: Duration,
}

/// An assistant as one daemon runs it.
pub struct Wiring {
    pub watching: Vec<WatchInfo>,
    pub resumer: Arc<dyn Resumer>,
    pub sources: Box<dyn Sources>,
}

/// Starts an assistant's sources.
pub trait Sources: Send {
    /// Start following; each returned receiver fires once a source is in place.
    fn spawn(self: Box<Self>, run: SourceRun<'_>) -> Vec<oneshot::Receiver<()>>;

    /// The directories whose files it follows (their read offsets are persisted by path).
    fn file_roots(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

/// What sources are started with.
pub struct SourceRun<'a> {
    /// Saved read positions of every followed file (each source picks its own).
    pub offsets: &'a BTreeMap<PathBuf, u64>,
    pub events: SourceTx,
    pub audit: &'a AuditWriter,
    pub tracker: &'a TaskTracker,
    pub stop: CancellationToken,
}

impl SourceRun<'_> {
    /// The saved offsets of files below `root`.
    pub fn offsets_below(&self, root: &Path) -> std::collections::HashMap<PathBuf, u64> {
        self.offsets
            .iter()
            .filter(|(p, _)| p.starts_with(root))
            .map(|(p, o)| (p.clone(), *o))
            .collect()
    }

    /// A readiness signal for one source.
    pub fn ready_pair() -> (oneshot::Sender<()>, oneshot::Receiver<()>) {
        oneshot::channel()
    }
}

//! Settings: one TOML file (see [`template::template`]), every key overridable from the environment as
//! `PALINGENESIS__SECTION__KEY=value`, validated with errors that name `file:line:col` and the key.

mod binaries;
mod bounds;
mod channels;
mod chat;
mod checkpoint;
mod diff;
mod edit;
mod fallback;
mod fleet;
mod load;
mod problems;
mod projects;
mod redact;
mod serde_impl;
pub mod template;
mod warnings;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use binaries::{MissingBinary, locate, missing_binaries};
pub use chat::ChatConfig;
pub use checkpoint::{
    CheckpointConfig, DEFAULT_CHECKPOINT_PROMPT, DEFAULT_QUOTA_CHECKPOINT_PROMPT,
    Enabled as CheckpointEnabled, ProjectCheckpoint, ProjectPolicy as CheckpointPolicy,
};
pub use diff::changed_keys;
pub use edit::set_key;
pub use fallback::{AtReset, FallbackConfig, FallbackSettings, ProjectFallback};
pub use fleet::{FleetConfig, check_destination};
pub use load::{ConfigError, Location, env_overrides, load, load_from_str, validate_text};
pub use problems::{binary_location, problems};
pub use redact::redacted;
pub use warnings::warnings;

pub use crate::model::{Assistant, ContextStrategy, Secret};

use crate::adapter::Section;

/// The whole configuration. Core sections are typed here; each assistant's section is kept as written and read
/// into its own type by its folder under [`crate::assistants`] (see `serde_impl` for how the file maps to this).
#[derive(Clone, Default, PartialEq)]
pub struct Config {
    pub daemon: DaemonConfig,
    pub monitoring: MonitoringConfig,
    pub resume: ResumeConfig,
    pub new_session: NewSessionConfig,
    /// Asking agents to write their checkpoint before their context window fills.
    pub checkpoint: CheckpointConfig,
    pub backup: BackupConfig,
    pub audit: AuditConfig,
    pub notifications: NotificationsConfig,
    pub http: HttpConfig,
    pub chat: ChatConfig,
    pub otel: OtelConfig,
    /// Each assistant's own section (`[claude]`, …), by assistant; absent when the file has none.
    pub assistants: BTreeMap<Assistant, crate::adapter::Section>,
    pub fleet: FleetConfig,
    pub fallback: FallbackConfig,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// palingenesis's own log level (off, error, warn, info, debug, trace) when neither -v nor RUST_LOG
    /// says otherwise; other crates log warnings.
    pub log_level: String,
    pub log_format: LogFormat,
    /// The daemon log file is rotated past this size.
    pub log_max_bytes: u64,
    pub log_keep: usize,
    /// Sessions with nothing pending and quiet for this many days are forgotten; 0: never.
    pub forget_after_days: u32,
    /// Sessions with nothing pending and quiet for this many seconds leave memory for a file on disk and
    /// come back when concerned again; 0: never.
    pub park_after_secs: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            log_level: "info".into(),
            log_format: LogFormat::Text,
            log_max_bytes: 10 * 1024 * 1024,
            log_keep: 3,
            forget_after_days: 7,
            park_after_secs: 4 * 3600,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MonitoringConfig {
    /// Assistants to watch; empty means every one that is installed / has a home.
    pub assistants: Vec<Assistant>,
    /// Stops older than this (by their own timestamp) are recorded but not acted on.
    pub freshness_secs: u64,
    /// Transcript lines longer than this are skipped (and counted), never buffered.
    pub max_line_bytes: usize,
    /// At start, a transcript modified this recently that ends in a stop nobody handled is acted on as a
    /// fresh stop (0: never). Older history is never replayed.
    pub catch_up_secs: u64,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        MonitoringConfig {
            assistants: Vec::new(),
            freshness_secs: 900,
            max_line_bytes: 4 * 1024 * 1024,
            catch_up_secs: 4 * 3600,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ResumeConfig {
    /// Master switch for automatic resumes (pause is the runtime switch).
    pub enabled: bool,
    /// Text sent to resume the same session.
    pub prompt: String,
    pub backoff_base_secs: u64,
    pub backoff_max_secs: u64,
    /// Resume attempts for one stop before the session is marked Failed.
    pub max_retries: u32,
    pub jitter: bool,
    /// ± fraction of the delay, 0..1.
    pub jitter_fraction: f64,
    /// Added after a reset instant known only to the minute ("resets 4:31pm").
    pub reset_margin_secs: u64,
    /// Added after an exactly known instant (Retry-After, Codex `resets_at`, an epoch), in milliseconds.
    pub exact_margin_ms: u64,
    /// Up to this many milliseconds of random delay on top of `exact_margin_ms` (when `jitter` is on).
    pub exact_jitter_ms: u64,
    /// Sessions of one assistant due at the same instant are resumed this many seconds apart, most
    /// recently active first.
    pub stagger_secs: u64,
    /// Cap on resumes of one session in any hour.
    pub max_resumes_per_hour: u32,
    /// How long after a resume starts progress must appear before it counts as failed.
    pub verify_timeout_secs: u64,
    pub context_strategy: ContextStrategy,
    /// An assistant that continues by itself after a limit (Claude Code's auto-continue): `defer` to it, or
    /// `take_over` (resume at the reset as for any other stop; turn the assistant's own one off then).
    pub self_continue: SelfContinuePolicy,
    /// With `defer`: how long after the assistant's announced continue time palingenesis steps in if the
    /// session has shown no progress.
    pub self_continue_grace_secs: u64,
}

/// What to do when an assistant says it continues by itself.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SelfContinuePolicy {
    #[default]
    Defer,
    TakeOver,
}

impl Default for ResumeConfig {
    fn default() -> Self {
        ResumeConfig {
            enabled: true,
            prompt: "continue".into(),
            backoff_base_secs: 30,
            backoff_max_secs: 300,
            max_retries: 5,
            jitter: true,
            jitter_fraction: 0.1,
            reset_margin_secs: 60,
            exact_margin_ms: 1000,
            exact_jitter_ms: 500,
            stagger_secs: 5,
            max_resumes_per_hour: 10,
            verify_timeout_secs: 300,
            context_strategy: ContextStrategy::NewSession,
            self_continue: SelfContinuePolicy::Defer,
            self_continue_grace_secs: 180,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NewSessionConfig {
    /// Relative to the session's project directory.
    pub next_step_file: String,
    /// Workflow files whose YAML frontmatter (`stepsCompleted`, `lastStep`) seeds the prompt when there is no
    /// Next-step file. Relative to the project directory; the first that exists wins.
    pub workflow_files: Vec<String>,
    /// Prompt template: `{next_step}` (file content), `{step}`, `{description}`, `{project}`, `{reason}` (why
    /// the last session could not go on).
    pub prompt_template: String,
}

impl Default for NewSessionConfig {
    fn default() -> Self {
        NewSessionConfig {
            next_step_file: "Next-step.md".into(),
            workflow_files: vec!["workflow.md".into(), "docs/workflow.md".into()],
            prompt_template: template::DEFAULT_PROMPT_TEMPLATE.into(),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    pub enabled: bool,
    /// Backups kept per session; older ones are pruned.
    pub keep: usize,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            enabled: true,
            keep: 10,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    pub max_bytes: u64,
    pub keep: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            max_bytes: 10 * 1024 * 1024,
            keep: 5,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    pub enabled: bool,
    /// Audit event types that are sent (e.g. "NeedsAttention", "SessionFailed", "ResumeCompleted").
    pub events: Vec<String>,
    /// Generic webhook: the audit event is POSTed as JSON. The URL may hold a token: never logged.
    pub webhook_url: Option<Secret>,
    /// ntfy topic URL (`https://ntfy.sh/my-topic`): a plain-text POST with a title.
    pub ntfy_url: Option<Secret>,
    /// Slack incoming-webhook URL.
    pub slack_webhook_url: Option<Secret>,
    /// Discord webhook URL.
    pub discord_webhook_url: Option<Secret>,
    pub telegram_bot_token: Option<Secret>,
    /// The chat notifications go to; a number (`-1001234`) or a `@channel` name.
    #[serde(deserialize_with = "channels::string_or_integer")]
    pub telegram_chat_id: Option<String>,
    /// Telegram Bot API base URL.
    pub telegram_api_url: String,
    /// Per-request timeout.
    pub timeout_secs: u64,
    /// When set, webhook bodies carry `X-Palingenesis-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    pub webhook_secret: Option<Secret>,
    /// Per-channel event lists (`{ telegram = ["NeedsAttention"] }`) replacing `events` for that channel.
    pub channel_events: BTreeMap<String, Vec<String>>,
    /// Per-channel cap on messages in any hour (`{ ntfy = 20 }`); messages over the cap are dropped and counted.
    pub channel_max_per_hour: BTreeMap<String, u32>,
    /// Delivery attempts per message (429 and 5xx answers and network errors are retried).
    pub max_attempts: u32,
    /// First retry delay, doubled per attempt; a `Retry-After` answer wins.
    pub retry_base_secs: u64,
    /// Messages waiting per channel; past this the oldest is dropped (counted and audited).
    pub queue_capacity: usize,
    /// When above 0, events are collected and sent as one message every this many minutes.
    pub digest_minutes: u64,
    /// Local time (`HH:MM`) of a daily summary (stops handled, resumes, failures); unset sends none.
    pub daily_summary_at: Option<String>,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        NotificationsConfig {
            enabled: false,
            events: [
                "NeedsAttention",
                "SessionFailed",
                "ServerGaveUp",
                "ResumeCompleted",
                "HandedOff",
            ]
            .map(String::from)
            .to_vec(),
            webhook_url: None,
            ntfy_url: None,
            slack_webhook_url: None,
            discord_webhook_url: None,
            telegram_bot_token: None,
            telegram_chat_id: None,
            telegram_api_url: "https://api.telegram.org".into(),
            timeout_secs: 10,
            webhook_secret: None,
            channel_events: BTreeMap::new(),
            channel_max_per_hour: BTreeMap::new(),
            max_attempts: 4,
            retry_base_secs: 2,
            queue_capacity: 256,
            digest_minutes: 0,
            daily_summary_at: None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub enabled: bool,
    pub bind: String,
    /// Bearer token required on every request; when unset, one is generated into the state directory.
    /// Mandatory when `bind` is not a loopback address.
    pub token: Option<Secret>,
    /// Host names accepted in the `Host` header besides loopback ones and the bound address (a reverse
    /// proxy's name, say).
    pub allowed_hosts: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            enabled: false,
            bind: "127.0.0.1:7654".into(),
            token: None,
            allowed_hosts: Vec::new(),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OtelConfig {
    /// Export one trace per stop and event metrics over OTLP/HTTP (protobuf).
    pub enabled: bool,
    /// The collector's OTLP/HTTP base URL (`/v1/traces`, `/v1/metrics` are appended); the standard
    /// `OTEL_EXPORTER_OTLP_*ENDPOINT` variables win over it.
    pub endpoint: String,
}

impl Default for OtelConfig {
    fn default() -> Self {
        OtelConfig {
            enabled: false,
            endpoint: "http://127.0.0.1:4318".into(),
        }
    }
}

impl Config {
    /// An assistant's section as written (empty when the file has none).
    pub fn section(&self, assistant: Assistant) -> &Section {
        static EMPTY: std::sync::LazyLock<Section> = std::sync::LazyLock::new(Section::new);
        self.assistants.get(&assistant).unwrap_or(&EMPTY)
    }

    /// The context strategy in force for one assistant: its section's `context_strategy`, else what the
    /// assistant prefers given `[resume] context_strategy`.
    pub fn context_strategy(&self, assistant: Assistant) -> ContextStrategy {
        let own = self
            .section(assistant)
            .get("context_strategy")
            .and_then(|v| ContextStrategy::deserialize(v.clone()).ok());
        own.unwrap_or_else(|| match crate::assistants::get(assistant) {
            Some(adapter) => adapter.default_context_strategy(self.resume.context_strategy),
            None => self.resume.context_strategy,
        })
    }

    /// Whether an assistant is to be watched given `[monitoring].assistants` (empty = auto-detect).
    pub fn watches(&self, assistant: Assistant, detected: bool) -> bool {
        self.listed(assistant).unwrap_or(detected)
    }

    /// `Some(listed)` when `[monitoring] assistants` says which to watch, `None` when it leaves it to detection.
    pub fn listed(&self, assistant: Assistant) -> Option<bool> {
        (!self.monitoring.assistants.is_empty())
            .then(|| self.monitoring.assistants.contains(&assistant))
    }
}

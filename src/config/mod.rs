//! Settings: one TOML file (see [`template::TEMPLATE`]), every key overridable from the environment as
//! `PALINGENESIS__SECTION__KEY=value`, validated with errors that name `file:line:col` and the key.

mod bounds;
mod edit;
mod load;
mod redact;
pub mod template;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use edit::set_key;
pub use load::{ConfigError, load, load_from_str, validate_text};
pub use redact::redacted;

use crate::model::Assistant;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub daemon: DaemonConfig,
    pub monitoring: MonitoringConfig,
    pub resume: ResumeConfig,
    pub new_session: NewSessionConfig,
    pub backup: BackupConfig,
    pub audit: AuditConfig,
    pub notifications: NotificationsConfig,
    pub http: HttpConfig,
    pub otel: OtelConfig,
    pub claude: ClaudeConfig,
    pub codex: CodexConfig,
    pub opencode: OpencodeConfig,
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
    /// tracing filter used when neither -v nor RUST_LOG says otherwise.
    pub log_level: String,
    pub log_format: LogFormat,
    /// The daemon log file is rotated past this size.
    pub log_max_bytes: u64,
    pub log_keep: usize,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            log_level: "info".into(),
            log_format: LogFormat::Text,
            log_max_bytes: 10 * 1024 * 1024,
            log_keep: 3,
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
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        MonitoringConfig {
            assistants: Vec::new(),
            freshness_secs: 900,
            max_line_bytes: 4 * 1024 * 1024,
        }
    }
}

/// What to do when the context window is exhausted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ContextStrategy {
    /// Back up, then start a new session seeded from Next-step.md.
    NewSession,
    /// Resume the same session (the assistant compacts on its own, e.g. Codex).
    SameSession,
    /// opencode: summarize the session through its API, then continue it.
    Summarize,
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
    /// Added after an announced reset instant or Retry-After.
    pub reset_margin_secs: u64,
    /// Cap on resumes of one session in any hour.
    pub max_resumes_per_hour: u32,
    /// How long after a resume starts progress must appear before it counts as failed.
    pub verify_timeout_secs: u64,
    pub context_strategy: ContextStrategy,
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
            max_resumes_per_hour: 10,
            verify_timeout_secs: 300,
            context_strategy: ContextStrategy::NewSession,
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
    /// Prompt template: `{next_step}` (file content), `{step}`, `{description}`, `{project}`.
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
    pub telegram_chat_id: Option<String>,
    /// Telegram Bot API base URL.
    pub telegram_api_url: String,
    /// Per-request timeout.
    pub timeout_secs: u64,
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
    pub enabled: bool,
    pub endpoint: String,
}

impl Default for OtelConfig {
    fn default() -> Self {
        OtelConfig {
            enabled: false,
            endpoint: "http://127.0.0.1:4317".into(),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ClaudeConfig {
    /// The `claude` executable (name on PATH or a path).
    pub binary: Option<PathBuf>,
    /// Transcript root; default `$CLAUDE_CONFIG_DIR/projects` or `~/.claude/projects`.
    pub projects_dir: Option<PathBuf>,
    /// Extra arguments for headless resumes (never permission-bypass flags: those are refused).
    pub extra_args: Vec<String>,
    /// Extra environment for resumed processes.
    pub env: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CodexConfig {
    pub binary: Option<PathBuf>,
    /// Codex home; default `$CODEX_HOME` or `~/.codex`.
    pub home: Option<PathBuf>,
    pub extra_args: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Context strategy for Codex; default `same_session`, since Codex compacts by itself on resume.
    pub context_strategy: Option<ContextStrategy>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OpencodeConfig {
    pub binary: Option<PathBuf>,
    /// Own an `opencode serve` process.
    pub supervise: bool,
    /// Attach to a server the user runs instead (base URL).
    pub server_url: Option<String>,
    pub auto_restart: bool,
    pub serve_port: u16,
    pub serve_hostname: String,
    pub project_dir: Option<PathBuf>,
    pub restart_delay_secs: u64,
    pub health_check_interval_secs: u64,
    pub max_restarts: u32,
    pub restart_window_secs: u64,
    /// Basic-auth password of the server (user `opencode`). Never logged.
    pub server_password: Option<Secret>,
    /// Database; default `$XDG_DATA_HOME/opencode/opencode.db`.
    pub db_path: Option<PathBuf>,
    pub context_strategy: Option<ContextStrategy>,
    pub env: BTreeMap<String, String>,
}

impl Default for OpencodeConfig {
    fn default() -> Self {
        OpencodeConfig {
            binary: None,
            supervise: false,
            server_url: None,
            auto_restart: true,
            serve_port: 4096,
            serve_hostname: "127.0.0.1".into(),
            project_dir: None,
            restart_delay_secs: 2,
            health_check_interval_secs: 30,
            max_restarts: 5,
            restart_window_secs: 600,
            server_password: None,
            db_path: None,
            context_strategy: None,
            env: BTreeMap::new(),
        }
    }
}

impl Config {
    /// The context strategy in force for one assistant.
    pub fn context_strategy(&self, assistant: Assistant) -> ContextStrategy {
        match assistant {
            Assistant::Claude => self.resume.context_strategy,
            // Codex compacts the conversation itself when a session is resumed.
            Assistant::Codex => self
                .codex
                .context_strategy
                .unwrap_or(ContextStrategy::SameSession),
            Assistant::Opencode => self
                .opencode
                .context_strategy
                .unwrap_or(self.resume.context_strategy),
        }
    }

    /// Whether an assistant is to be watched given `[monitoring].assistants` (empty = auto-detect).
    pub fn watches(&self, assistant: Assistant, detected: bool) -> bool {
        if self.monitoring.assistants.is_empty() {
            detected
        } else {
            self.monitoring.assistants.contains(&assistant)
        }
    }
}

/// A secret setting (password, token). Its `Debug` and `Serialize` never show the value, so it cannot
/// reach logs or `config show`; use [`Secret::expose`] where the value is really needed.
#[derive(Deserialize, Clone, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

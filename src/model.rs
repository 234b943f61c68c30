//! The vocabulary every part of palingenesis shares: assistants, sessions, why a session stopped,
//! what a source observed, and the per-session state the engine drives.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An AI coding assistant palingenesis knows how to watch and resume.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Assistant {
    Claude,
    Codex,
    Opencode,
}

impl Assistant {
    pub const ALL: [Assistant; 3] = [Assistant::Claude, Assistant::Codex, Assistant::Opencode];

    pub fn as_str(self) -> &'static str {
        match self {
            Assistant::Claude => "claude",
            Assistant::Codex => "codex",
            Assistant::Opencode => "opencode",
        }
    }
}

impl fmt::Display for Assistant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Assistant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "claude" | "claude-code" | "claude_code" => Ok(Assistant::Claude),
            "codex" => Ok(Assistant::Codex),
            "opencode" => Ok(Assistant::Opencode),
            other => Err(format!(
                "unknown assistant `{other}` (expected claude, codex or opencode)"
            )),
        }
    }
}

/// Identifies one session of one assistant. Displayed as `assistant:id`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    pub assistant: Assistant,
    pub id: String,
}

impl SessionKey {
    pub fn new(assistant: Assistant, id: impl Into<String>) -> Self {
        SessionKey {
            assistant,
            id: id.into(),
        }
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.assistant, self.id)
    }
}

/// Which usage window a usage limit belongs to.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UsageWindow {
    /// The rolling 5-hour / session window.
    Session,
    Weekly,
    /// Extra (pay-as-you-go) usage ran out.
    ExtraUsage,
    Unknown,
}

/// Why a human has to act; such stops are never resumed automatically.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HumanCause {
    Billing,
    Authentication,
    OrgNotAllowed,
    ModelNotFound,
    /// Quota or plan exhausted in a way that does not reset by itself ("Quota exceeded", "upgrade to Plus").
    QuotaOrPlan,
}

/// Why a session stopped: the output of classification, the input of decision.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopReason {
    /// HTTP 429 (or equivalent) not tied to a usage window.
    RateLimit {
        /// Retry-After if the assistant recorded it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_secs: Option<u64>,
    },
    /// A usage/subscription limit with (when announced) the instant it resets.
    UsageLimit {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resets_at: Option<DateTime<Utc>>,
        window: UsageWindow,
    },
    /// The context window is full ("prompt is too long").
    ContextExhausted,
    /// 5xx, 529 overloaded, connection errors: worth retrying with backoff.
    Transient {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
    },
    /// Billing, login, org limit, model not found: notify, never resume.
    NeedsHuman { cause: HumanCause },
    /// The user ended the session on purpose.
    UserExit,
    /// The turn finished normally.
    Completed,
    /// An error palingenesis cannot place; notified, not resumed.
    Unknown,
}

impl StopReason {
    /// Short stable label, used in metrics, CLI tables and audit filters.
    pub fn label(&self) -> &'static str {
        match self {
            StopReason::RateLimit { .. } => "rate_limit",
            StopReason::UsageLimit { .. } => "usage_limit",
            StopReason::ContextExhausted => "context_exhausted",
            StopReason::Transient { .. } => "transient",
            StopReason::NeedsHuman { .. } => "needs_human",
            StopReason::UserExit => "user_exit",
            StopReason::Completed => "completed",
            StopReason::Unknown => "unknown",
        }
    }
}

/// What one transcript line, rollout line, hook payload or API event says about its session.
/// Produced by the pure parsers in [`crate::formats`]; sources wrap it into an [`Observation`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum Signal {
    /// The session exists (first line, SessionStart hook, session_meta). `resumed` when it is a resume.
    Started { resumed: bool },
    /// The assistant produced real output (not an error message): a turn is making progress.
    Progress,
    /// The turn stopped. `evidence` is the raw message that led to `reason`, for audit and humans.
    Stopped {
        reason: StopReason,
        evidence: String,
    },
    /// The assistant is retrying on its own; leave it alone until `next` (when known).
    Retrying {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<DateTime<Utc>>,
    },
}

/// How to reach a session: everything a resumer may need.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Locator {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// The transcript / rollout file the session writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<PathBuf>,
    /// The agent process, when known (hook parent, PTY wrapper).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// opencode server base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_url: Option<String>,
    /// tmux pane id (`%3`) when the agent runs in tmux.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmux_pane: Option<String>,
    /// Registration id of a `palingenesis run` PTY wrapper that owns the agent's terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<String>,
}

impl Locator {
    /// Fill fields this locator lacks from `other` (newer information wins where both have it).
    pub fn merge(&mut self, other: &Locator) {
        fn take<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if theirs.is_some() {
                *mine = theirs.clone();
            }
        }
        take(&mut self.cwd, &other.cwd);
        take(&mut self.transcript, &other.transcript);
        take(&mut self.pid, &other.pid);
        take(&mut self.server_url, &other.server_url);
        take(&mut self.tmux_pane, &other.tmux_pane);
        take(&mut self.wrapper, &other.wrapper);
    }
}

/// Which channel an observation came through (several can report the same stop).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Transcript,
    Hook,
    Rollout,
    OpencodeEvents,
    OpencodeDb,
    Wrapper,
    Control,
}

/// What a source saw, normalised. Sources decide nothing; the engine does.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Observation {
    pub session: SessionKey,
    /// When it happened (the line's own timestamp when it has one).
    pub at: DateTime<Utc>,
    pub signal: Signal,
    pub origin: Origin,
    #[serde(default)]
    pub locator: Locator,
}

/// The environment of an agent process that matters for resuming it the way it ran (provider URL, API key,
/// HOME, PATH, TZ, …). It can hold secrets: its `Debug` shows only the names, it is kept in the private state
/// file, and it is never sent to control clients or written to the audit trail.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[serde(transparent)]
pub struct AgentEnv(pub std::collections::BTreeMap<String, String>);

impl AgentEnv {
    /// Variable names (exact) and prefixes worth carrying over to a resumed agent.
    const NAMES: &'static [&'static str] = &[
        "HOME",
        "PATH",
        "TZ",
        "LANG",
        "USER",
        "SHELL",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
    ];
    const PREFIXES: &'static [&'static str] = &[
        "ANTHROPIC_",
        "CLAUDE_",
        "DISABLE_",
        "CODEX_",
        "OPENAI_",
        "OPENCODE_",
        "XDG_",
        "LC_",
        "AWS_",
        "GOOGLE_",
        "VERTEX_",
        "NODE_EXTRA_CA_CERTS",
    ];

    /// Keep the variables that matter from `vars`.
    pub fn capture(vars: impl IntoIterator<Item = (String, String)>) -> AgentEnv {
        AgentEnv(
            vars.into_iter()
                .filter(|(k, _)| {
                    Self::NAMES.contains(&k.as_str())
                        || Self::PREFIXES.iter().any(|p| k.starts_with(p))
                })
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for AgentEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

#[cfg(test)]
mod agent_env_tests {
    use super::AgentEnv;

    #[test]
    fn captures_what_matters_and_never_prints_values() {
        let env = AgentEnv::capture([
            ("ANTHROPIC_API_KEY".to_string(), "sk-secret".to_string()),
            ("HOME".to_string(), "/home/u".to_string()),
            ("EDITOR".to_string(), "vim".to_string()),
        ]);
        assert_eq!(env.0.len(), 2);
        let shown = format!("{env:?}");
        assert!(
            shown.contains("ANTHROPIC_API_KEY") && !shown.contains("sk-secret"),
            "{shown}"
        );
    }
}

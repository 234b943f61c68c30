//! The vocabulary every part of palingenesis shares: assistants, sessions, why a session stopped,
//! what a source observed, and the per-session state the engine drives.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod context;
pub use context::ContextUse;
mod quota;
pub use quota::QuotaUse;
pub mod session_ref;

/// An AI coding assistant, by its stable lowercase name (`claude`, …). The core never names one: each
/// assistant's folder under [`crate::assistants`] defines its constant, and the registry there lists them.
/// Stored and sent as the bare name, so state and audit files read the same whatever assistants exist;
/// a name no adapter claims is carried as it is and reported as unknown where it is used.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Assistant(&'static str);

/// A name that cannot be an assistant's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an assistant name (lowercase letters, digits and `-`, at most 32 characters)"
)]
pub struct BadAssistantName(pub String);

impl Assistant {
    /// The constant an assistant's folder defines. The name must be lowercase ASCII.
    pub const fn named(name: &'static str) -> Self {
        Assistant(name)
    }

    /// An assistant named at run time (a state file, a request, an argument). Distinct names are kept once
    /// for the life of the process, and only well-formed ones, so hostile input cannot grow memory.
    pub fn from_name(name: &str) -> Result<Self, BadAssistantName> {
        use std::sync::Mutex;
        static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
        const MAX_NAMES: usize = 64;
        let well_formed = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(BadAssistantName(name.to_owned()));
        }
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = seen.iter().find(|n| **n == name) {
            return Ok(Assistant(known));
        }
        if seen.len() >= MAX_NAMES {
            return Err(BadAssistantName(name.to_owned()));
        }
        let interned: &'static str = Box::leak(name.to_owned().into_boxed_str());
        seen.push(interned);
        Ok(Assistant(interned))
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Assistant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Assistant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Assistant({})", self.0)
    }
}

impl Serialize for Assistant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Assistant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Assistant::from_name(&name).map_err(serde::de::Error::custom)
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

/// How precisely an announced instant is known, which sets the margin added before acting on it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// To the second or better: a Retry-After, an epoch, Codex's `resets_at`, a hook payload.
    Exact,
    /// To the minute: a banner such as "resets 4:31pm" or "try again at 6:14 PM".
    #[default]
    Minute,
}

impl Precision {
    pub fn is_minute(&self) -> bool {
        *self == Precision::Minute
    }
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
    /// A spend cap someone set (a workspace's, an API account's) was reached: only raising it helps.
    SpendCap,
    /// An organisation's or a monthly cap: it lifts next month at the earliest, or when an owner raises it.
    MonthlyCap,
    /// Prepaid credits ran out (a workspace's or one's own): someone has to add credits.
    OutOfCredits,
    /// A free tier is used up: subscribing (or waiting out a long period) is a person's call.
    FreeTierExhausted,
    /// The provider refused the request on policy or safety grounds: the same request fails again.
    PolicyRefusal,
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
        /// How precisely `resets_at` is known; absent (older records, banners) means to the minute.
        #[serde(default, skip_serializing_if = "Precision::is_minute")]
        precision: Precision,
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
    /// The assistant's own auto-continue after a limit changed state.
    SelfContinue(SelfContinue),
    /// How full the context window is after the latest model response (reported beside the record's own
    /// signal; it says nothing about whether the session runs or stopped).
    ContextUse(ContextUse),
    /// How much of a usage window the account has spent (reported beside the record's own signal, like
    /// [`Signal::ContextUse`]).
    QuotaUse(QuotaUse),
}

/// An assistant that continues a stopped turn by itself when its limit resets (Claude Code's
/// `autoContinueAtUsageLimit`). While it is armed palingenesis stays out of the way.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SelfContinue {
    /// Armed: the assistant continues by itself at `at` (when it said), else "shortly".
    Armed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
        evidence: String,
    },
    /// It will not continue by itself. `by_user`: the user cancelled it on purpose, so the session is left
    /// alone; otherwise (the agent exited or relaunched, the session moved away, the reset is too far, it was
    /// turned off, it went stale) palingenesis steps in.
    Cancelled { by_user: bool, evidence: String },
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
    /// A transcript file the assistant appends to.
    Transcript,
    /// A hook the assistant ran.
    Hook,
    /// A rollout file (a transcript with per-turn records).
    Rollout,
    /// A live server's event stream.
    ServerEvents,
    /// The assistant's own session database.
    Database,
    /// A control request.
    Control,
    /// The end of a file already there when the daemon started: a stop nobody handled yet.
    CatchUp,
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
    /// Providers' and the platform's prefixes; each assistant adds its own (see [`AgentEnv::capture`]).
    const PREFIXES: &'static [&'static str] = &[
        "ANTHROPIC_",
        "OPENAI_",
        "XDG_",
        "LC_",
        "AWS_",
        "GOOGLE_",
        "VERTEX_",
        "NODE_EXTRA_CA_CERTS",
    ];

    /// Keep the variables that matter from `vars`: the common ones and those starting with one of the
    /// assistant's own `prefixes`.
    pub fn capture(
        vars: impl IntoIterator<Item = (String, String)>,
        prefixes: &[&str],
    ) -> AgentEnv {
        AgentEnv(
            vars.into_iter()
                .filter(|(k, _)| {
                    Self::NAMES.contains(&k.as_str())
                        || Self::PREFIXES
                            .iter()
                            .chain(prefixes)
                            .any(|p| k.starts_with(p))
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

/// What a resumer learned about the turn it started.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnOutcome {
    /// The turn finished without error: progress is proven.
    Succeeded,
    /// The turn stopped again.
    Stopped {
        reason: StopReason,
        evidence: String,
    },
    /// The prompt was delivered (typed into a terminal, queued on a server); observations must prove progress.
    Delivered,
    /// The process ended without saying how the turn went; observations get a short grace to tell.
    Exited { code: Option<i32> },
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

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

/// What a source tells the engine. Sources produce these and nothing else; the engine alone decides.
// Observations are nearly every event, so boxing them would only add an allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    Observe(Observation),
    /// Read positions of followed files, persisted with the state.
    Offsets(Vec<(PathBuf, u64)>),
}

/// Where sources send what they see.
pub type SourceTx = tokio::sync::mpsc::Sender<SourceEvent>;

#[cfg(test)]
mod agent_env_tests {
    use super::AgentEnv;

    #[test]
    fn captures_what_matters_and_never_prints_values() {
        let env = AgentEnv::capture(
            [
                ("ANTHROPIC_API_KEY".to_string(), "sk-secret".to_string()),
                ("HOME".to_string(), "/home/u".to_string()),
                ("EDITOR".to_string(), "vim".to_string()),
                ("TOOL_MODE".to_string(), "x".to_string()),
            ],
            &["TOOL_"],
        );
        assert_eq!(env.0.len(), 3);
        let shown = format!("{env:?}");
        assert!(
            shown.contains("ANTHROPIC_API_KEY") && !shown.contains("sk-secret"),
            "{shown}"
        );
    }
}

//! One audit record: what happened, to which session, and why.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Assistant, SessionKey};

/// What kind of thing an [`AuditEvent`] records. Serialized as its PascalCase name.
///
/// Names written by a newer palingenesis read back as [`EventType::Unknown`]. A new variant also goes
/// into [`EventType::ALL`] (which `--type` parsing uses) and [`EventType::as_str`].
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    DaemonStarted,
    DaemonStopped,
    StopDetected,
    ResumeScheduled,
    ResumeStarted,
    ResumeCompleted,
    ResumeFailed,
    ResumeCancelled,
    ResumeSkipped,
    SessionCreated,
    SessionBackedUp,
    SessionFailed,
    SessionDone,
    NeedsAttention,
    Paused,
    /// Automatic actions on again after [`EventType::Paused`] (`palingenesis resume` without a session).
    /// Written as `Resumed` before it had its own name; that name still reads as this.
    #[serde(alias = "Resumed")]
    Unpaused,
    ConfigChanged,
    ConfigRejected,
    HookReceived,
    ServerStarted,
    ServerRestarted,
    ServerGaveUp,
    Notification,
    /// The assistant's own auto-continue is armed; palingenesis stays out until it is overdue.
    SelfContinueArmed,
    /// The assistant's own auto-continue ended without continuing (cancelled, stale, overdue).
    SelfContinueEnded,
    /// A command from a chat (Telegram, Slack, Discord) was carried out; `metadata` names the sender.
    ChatCommand,
    /// A chat request was refused: unknown sender, bad signature or stale timestamp.
    ChatRefused,
    /// An agent wrote its checkpoint (next-step file, workflow progress) through palingenesis.
    CheckpointWritten,
    /// An agent's context crossed the checkpoint threshold: it was asked to write its checkpoint (`outcome`
    /// `asked`, `metadata.how`), or could not be (`not_asked`, `message` says why).
    CheckpointRequested,
    /// A tracked session was dropped (`sessions forget`, or pruned after `[daemon] forget_after_days`).
    SessionForgotten,
    /// A session stopped by a far-away limit was handed to another assistant (`[fallback]`): `metadata`
    /// names both sessions and the reset.
    HandedOff,
    /// A type this version does not know (written by a newer palingenesis).
    #[serde(other)]
    Unknown,
}

impl EventType {
    /// Every type, in declaration order (`Unknown` last).
    pub const ALL: [EventType; 32] = [
        EventType::DaemonStarted,
        EventType::DaemonStopped,
        EventType::StopDetected,
        EventType::ResumeScheduled,
        EventType::ResumeStarted,
        EventType::ResumeCompleted,
        EventType::ResumeFailed,
        EventType::ResumeCancelled,
        EventType::ResumeSkipped,
        EventType::SessionCreated,
        EventType::SessionBackedUp,
        EventType::SessionFailed,
        EventType::SessionDone,
        EventType::NeedsAttention,
        EventType::Paused,
        EventType::Unpaused,
        EventType::ConfigChanged,
        EventType::ConfigRejected,
        EventType::HookReceived,
        EventType::ServerStarted,
        EventType::ServerRestarted,
        EventType::ServerGaveUp,
        EventType::Notification,
        EventType::SelfContinueArmed,
        EventType::SelfContinueEnded,
        EventType::ChatCommand,
        EventType::ChatRefused,
        EventType::CheckpointWritten,
        EventType::CheckpointRequested,
        EventType::SessionForgotten,
        EventType::HandedOff,
        EventType::Unknown,
    ];

    /// The serialized (PascalCase) name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::DaemonStarted => "DaemonStarted",
            EventType::DaemonStopped => "DaemonStopped",
            EventType::StopDetected => "StopDetected",
            EventType::ResumeScheduled => "ResumeScheduled",
            EventType::ResumeStarted => "ResumeStarted",
            EventType::ResumeCompleted => "ResumeCompleted",
            EventType::ResumeFailed => "ResumeFailed",
            EventType::ResumeCancelled => "ResumeCancelled",
            EventType::ResumeSkipped => "ResumeSkipped",
            EventType::SessionCreated => "SessionCreated",
            EventType::SessionBackedUp => "SessionBackedUp",
            EventType::SessionFailed => "SessionFailed",
            EventType::SessionDone => "SessionDone",
            EventType::NeedsAttention => "NeedsAttention",
            EventType::Paused => "Paused",
            EventType::Unpaused => "Unpaused",
            EventType::ConfigChanged => "ConfigChanged",
            EventType::ConfigRejected => "ConfigRejected",
            EventType::HookReceived => "HookReceived",
            EventType::ServerStarted => "ServerStarted",
            EventType::ServerRestarted => "ServerRestarted",
            EventType::ServerGaveUp => "ServerGaveUp",
            EventType::Notification => "Notification",
            EventType::SelfContinueArmed => "SelfContinueArmed",
            EventType::SelfContinueEnded => "SelfContinueEnded",
            EventType::ChatCommand => "ChatCommand",
            EventType::ChatRefused => "ChatRefused",
            EventType::CheckpointWritten => "CheckpointWritten",
            EventType::CheckpointRequested => "CheckpointRequested",
            EventType::SessionForgotten => "SessionForgotten",
            EventType::HandedOff => "HandedOff",
            EventType::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `ResumeFailed`, `resume_failed`, `resume-failed` or `resumefailed` (for `events --type`).
impl FromStr for EventType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted: String = s
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        // The un-pause event's old name.
        if wanted == "resumed" {
            return Ok(EventType::Unpaused);
        }
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| format!("unknown event type `{s}`"))
    }
}

/// One line of `audit.jsonl`. Build with [`AuditEvent::new`] and the chained setters.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AuditEvent {
    pub ts: DateTime<Utc>,
    pub event: EventType,
    /// The assistant's own session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant: Option<Assistant>,
    /// What palingenesis did or will do (`same_session`, `new_session`, `notify`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// How it went (`ok`, `failed`, `timeout`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Why (a stop reason label, a config error, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Free text for humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Anything else, as a JSON object (`null` when empty).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub metadata: Value,
}

impl AuditEvent {
    /// An event of type `event` stamped now, with nothing else set.
    pub fn new(event: EventType) -> Self {
        AuditEvent {
            ts: Utc::now(),
            event,
            session: None,
            assistant: None,
            action: None,
            outcome: None,
            reason: None,
            message: None,
            metadata: Value::Null,
        }
    }

    /// Override the timestamp.
    pub fn at(mut self, ts: DateTime<Utc>) -> Self {
        self.ts = ts;
        self
    }

    pub fn session(mut self, id: impl Into<String>) -> Self {
        self.session = Some(id.into());
        self
    }

    pub fn assistant(mut self, assistant: Assistant) -> Self {
        self.assistant = Some(assistant);
        self
    }

    /// Sets both `assistant` and `session` from a key.
    pub fn session_key(self, key: &SessionKey) -> Self {
        self.assistant(key.assistant).session(key.id.clone())
    }

    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    pub fn outcome(mut self, outcome: impl Into<String>) -> Self {
        self.outcome = Some(outcome.into());
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Replace the whole metadata value.
    pub fn metadata(mut self, metadata: Value) -> Self {
        self.metadata = metadata;
        self
    }

    /// Add one key to the metadata object (turning `null` or a non-object into an object).
    pub fn meta(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        if !self.metadata.is_object() {
            self.metadata = Value::Object(serde_json::Map::new());
        }
        if let Value::Object(map) = &mut self.metadata {
            map.insert(key.into(), value.into());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_old_unpause_name_reads_as_unpaused() {
        let old: AuditEvent =
            serde_json::from_str(r#"{"ts":"2026-01-01T00:00:00Z","event":"Resumed"}"#).unwrap();
        assert_eq!(old.event, EventType::Unpaused);
        assert!(
            serde_json::to_string(&old)
                .unwrap()
                .contains(r#""event":"Unpaused""#)
        );
        assert_eq!("Resumed".parse::<EventType>(), Ok(EventType::Unpaused));
    }

    #[test]
    fn serializes_compactly_with_pascal_case_type() {
        let ts = "2025-01-02T03:04:05Z".parse().unwrap();
        let ev = AuditEvent::new(EventType::ResumeFailed)
            .at(ts)
            .session_key(&SessionKey::new(crate::assistants::codex::ASSISTANT, "abc"))
            .reason("usage_limit")
            .meta("attempt", 2);
        let line = serde_json::to_string(&ev).unwrap();
        assert_eq!(
            line,
            r#"{"ts":"2025-01-02T03:04:05Z","event":"ResumeFailed","session":"abc","assistant":"codex","reason":"usage_limit","metadata":{"attempt":2}}"#
        );
        assert_eq!(serde_json::from_str::<AuditEvent>(&line).unwrap(), ev);
    }

    #[test]
    fn unknown_types_and_missing_fields_still_parse() {
        let ev: AuditEvent =
            serde_json::from_value(json!({"ts": "2025-01-02T03:04:05Z", "event": "FromTheFuture"}))
                .unwrap();
        assert_eq!(ev.event, EventType::Unknown);
        assert_eq!(ev.session, None);
        assert_eq!(ev.metadata, Value::Null);
    }

    #[test]
    fn every_type_round_trips_by_name() {
        for t in EventType::ALL {
            let s = serde_json::to_string(&t).unwrap();
            assert_eq!(s, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<EventType>(&s).unwrap(), t);
            assert_eq!(t.as_str().parse::<EventType>().unwrap(), t);
        }
    }

    #[rstest::rstest]
    #[case("ResumeFailed", EventType::ResumeFailed)]
    #[case("resume_failed", EventType::ResumeFailed)]
    #[case("resume-failed", EventType::ResumeFailed)]
    #[case("STOPDETECTED", EventType::StopDetected)]
    fn type_names_parse_loosely(#[case] input: &str, #[case] want: EventType) {
        assert_eq!(input.parse::<EventType>().unwrap(), want);
    }

    #[test]
    fn bad_type_name_is_an_error() {
        assert!("resume".parse::<EventType>().is_err());
    }
}

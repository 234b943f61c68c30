//! What is sent: one event, a digest of several, or the daily summary, with a title and body for humans
//! and a JSON form for webhooks.

use crate::audit::{AuditEvent, EventType};
use crate::chat::render::short;

/// Events listed in a digest's text (the webhook's JSON has them all).
const DIGEST_LINES: usize = 30;

/// One message for every channel to render in its own way.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub title: String,
    pub body: String,
    /// `event`, `digest` or `daily_summary`, for the audit trail.
    pub kind: &'static str,
    /// What a generic webhook receives: the audit event itself, or a digest / summary object.
    pub json: serde_json::Value,
    /// The session a "resume now" / "leave it" pair of buttons applies to, when a person is needed.
    pub buttons_for: Option<String>,
    /// The event type told about (for single events), for the audit trail.
    pub event: Option<EventType>,
    /// The session told about (for single events), for the audit trail.
    pub session: Option<String>,
}

/// A button under a notification: its label and the command it sends back.
#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    pub label: &'static str,
    pub command: String,
    /// The main choice (shown highlighted where the platform can).
    pub primary: bool,
}

impl Message {
    /// "Resume now" and "Leave it", when the message is about a session waiting for a person.
    pub fn buttons(&self) -> Vec<Button> {
        let Some(session) = &self.buttons_for else {
            return Vec::new();
        };
        vec![
            Button {
                label: "Resume now",
                command: crate::chat::command::resume_button(session),
                primary: true,
            },
            Button {
                label: "Leave it",
                command: crate::chat::command::leave_button(session),
                primary: false,
            },
        ]
    }

    pub fn for_event(e: &AuditEvent) -> Message {
        let (title, body) = summary(e);
        let needs_person = matches!(
            e.event,
            EventType::NeedsAttention | EventType::SessionFailed
        );
        Message {
            title,
            body,
            kind: "event",
            json: serde_json::to_value(e).unwrap_or_default(),
            buttons_for: e.session.clone().filter(|_| needs_person),
            event: Some(e.event),
            session: e.session.clone(),
        }
    }

    /// Several events as one message (a single event is sent as itself).
    pub fn digest(events: &[AuditEvent], minutes: u64) -> Message {
        if let [one] = events {
            return Message::for_event(one);
        }
        let title = format!(
            "palingenesis: {} events in the last {minutes} min",
            events.len()
        );
        // A noisy night stays readable: the latest events, and how many more there were.
        let skipped = events.len().saturating_sub(DIGEST_LINES);
        let mut lines: Vec<String> = events[skipped..]
            .iter()
            .map(|e| format!("{} {}", e.ts.format("%H:%M"), summary(e).0))
            .collect();
        if skipped > 0 {
            lines.insert(0, format!("({skipped} earlier events not listed)"));
        }
        Message {
            body: format!("{title}\n{}", lines.join("\n")),
            json: serde_json::json!({ "kind": "digest", "title": title, "events": events }),
            title,
            kind: "digest",
            buttons_for: None,
            event: None,
            session: None,
        }
    }
}

/// A one-line human summary of an event, and a longer body.
pub fn summary(e: &AuditEvent) -> (String, String) {
    let who = match (&e.assistant, &e.session) {
        (Some(a), Some(s)) => format!("{a} session {}", short(s)),
        (None, Some(s)) => format!("session {}", short(s)),
        _ => "palingenesis".to_string(),
    };
    let title = match e.event {
        EventType::NeedsAttention => format!("{who} needs attention"),
        EventType::SessionFailed => format!("{who}: automatic resume gave up"),
        EventType::ResumeCompleted => format!("{who} resumed"),
        EventType::HandedOff => match e.metadata["to"]["assistant"].as_str() {
            Some(to) => format!("{who} handed off to {to}"),
            None => format!("{who} handed off"),
        },
        EventType::ServerGaveUp => format!(
            "{} server keeps crashing; supervision stopped",
            e.assistant.map_or("the assistant's", |a| a.as_str())
        ),
        other => format!("{who}: {other}"),
    };
    let mut body = title.clone();
    if let Some(r) = &e.reason {
        body.push_str(&format!(" (reason: {r})"));
    }
    if let Some(m) = &e.message {
        body.push_str(&format!("\n{m}"));
    }
    (title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_name_the_session_and_reason() {
        let e = AuditEvent::new(EventType::NeedsAttention)
            .session("3bbbed54-fc9b".to_string())
            .assistant(crate::assistants::claude::ASSISTANT)
            .reason("needs_human")
            .message("billing".to_string());
        let (title, body) = summary(&e);
        assert_eq!(title, "claude session 3bbbed54 needs attention");
        assert!(body.contains("reason: needs_human") && body.ends_with("billing"));
        assert_eq!(
            Message::for_event(&e).buttons_for.as_deref(),
            Some("3bbbed54-fc9b")
        );
    }

    #[test]
    fn a_hand_off_names_the_assistant_taking_over() {
        let e = AuditEvent::new(EventType::HandedOff)
            .session("3bbbed54-fc9b".to_string())
            .assistant(crate::assistants::claude::ASSISTANT)
            .metadata(serde_json::json!({ "to": { "assistant": "codex", "session": "t1" } }));
        assert_eq!(summary(&e).0, "claude session 3bbbed54 handed off to codex");
    }

    #[test]
    fn digests_list_every_event() {
        let a = AuditEvent::new(EventType::ResumeCompleted).session("aaaaaaaa-1");
        let b = AuditEvent::new(EventType::SessionFailed).session("bbbbbbbb-2");
        let d = Message::digest(&[a.clone(), b], 10);
        assert_eq!(d.kind, "digest");
        assert!(d.title.contains("2 events in the last 10 min"));
        assert!(d.body.contains("session aaaaaaaa resumed") && d.body.contains("bbbbbbbb"));
        assert_eq!(d.json["events"].as_array().unwrap().len(), 2);
        assert_eq!(Message::digest(std::slice::from_ref(&a), 10).kind, "event");
        let many = vec![a; 45];
        let d = Message::digest(&many, 10);
        assert!(d.body.contains("(15 earlier events not listed)"));
        assert_eq!(d.body.lines().count(), 1 + 1 + 30);
    }
}

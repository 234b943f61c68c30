//! What the event stream says about each session, as a pure state machine: which sessions are busy,
//! when a turn made real progress, when opencode retries by itself, and when a session went idle and
//! its last assistant message must be read to learn how the turn ended.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;

use super::sse::Event;
use crate::assistants::opencode::records::{SessionStatus, parse_session_status};
use crate::model::Signal;

/// What the follower must do after an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Report this signal for the session now.
    Emit(String, Signal),
    /// The session went idle: read its last assistant message (after a short settle delay).
    Check(String),
    /// The session is busy again: a pending check is moot.
    Cancel(String),
}

#[derive(Debug, Default)]
struct Seen {
    dir: Option<PathBuf>,
    busy: bool,
    /// A subagent's session (has a parent): its errors reach the parent's turn.
    child: bool,
    /// Real output was reported for the current busy period.
    progressed: bool,
    retry_attempt: Option<u32>,
    /// The assistant message of the current turn (not a compaction summary).
    assistant_msg: Option<String>,
}

/// Per-session view built from the event stream.
#[derive(Debug, Default)]
pub struct Tracker {
    sessions: HashMap<String, Seen>,
}

impl Tracker {
    /// The session's directory, when an event told it.
    pub fn dir(&self, session: &str) -> Option<PathBuf> {
        self.sessions.get(session).and_then(|s| s.dir.clone())
    }

    /// Sessions that were busy when the stream dropped; they are no longer counted busy.
    pub fn take_busy(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for (id, s) in &mut self.sessions {
            if std::mem::take(&mut s.busy) && !s.child {
                out.push(id.clone());
            }
        }
        out.sort();
        out
    }

    /// Apply one event.
    pub fn on_event(&mut self, ev: &Event) -> Vec<Step> {
        let Some(id) = ev.session.clone() else {
            return Vec::new();
        };
        let s = self.sessions.entry(id.clone()).or_default();
        if s.dir.is_none() {
            s.dir = ev.directory.clone();
        }
        let p = &ev.properties;
        match ev.kind.as_str() {
            "session.created" | "session.updated" => {
                let info = p.get("info").unwrap_or(&Value::Null);
                if info.get("parentID").is_some_and(|v| !v.is_null()) {
                    s.child = true;
                }
                if let Some(d) = info.get("directory").and_then(Value::as_str) {
                    s.dir = Some(PathBuf::from(d));
                }
                Vec::new()
            }
            _ if s.child => Vec::new(),
            "session.status" => match p.get("status").and_then(parse_session_status) {
                Some(SessionStatus::Busy) => {
                    if !s.busy {
                        s.busy = true;
                        s.progressed = false;
                        s.retry_attempt = None;
                    }
                    vec![Step::Cancel(id)]
                }
                Some(SessionStatus::Retry { attempt, next, .. }) => {
                    s.busy = true;
                    let mut steps = vec![Step::Cancel(id.clone())];
                    if s.retry_attempt != Some(attempt) {
                        s.retry_attempt = Some(attempt);
                        steps.push(Step::Emit(id, Signal::Retrying { next }));
                    }
                    steps
                }
                Some(SessionStatus::Idle) => {
                    s.busy = false;
                    vec![Step::Check(id)]
                }
                None => Vec::new(),
            },
            "session.idle" => {
                s.busy = false;
                vec![Step::Check(id)]
            }
            "message.updated" => {
                let info = p.get("info").unwrap_or(&Value::Null);
                if let Some(cwd) = info.pointer("/path/cwd").and_then(Value::as_str) {
                    s.dir = Some(PathBuf::from(cwd));
                }
                let summary = info.get("summary").and_then(Value::as_bool) == Some(true)
                    || info.get("mode").and_then(Value::as_str) == Some("compaction");
                if info.get("role").and_then(Value::as_str) == Some("assistant") && !summary {
                    s.assistant_msg = info.get("id").and_then(Value::as_str).map(str::to_string);
                }
                Vec::new()
            }
            "message.part.updated" | "message.part.delta" => {
                let (msg, real) = match ev.kind.as_str() {
                    "message.part.delta" => (p.get("messageID"), true),
                    _ => {
                        let part = p.get("part").unwrap_or(&Value::Null);
                        (part.get("messageID"), is_output(part))
                    }
                };
                let ours = msg
                    .and_then(Value::as_str)
                    .is_some_and(|m| s.assistant_msg.as_deref() == Some(m));
                if ours && real && !s.progressed {
                    s.progressed = true;
                    vec![Step::Emit(id, Signal::Progress)]
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }
}

/// A part that is real model output: non-empty text, reasoning, or a tool call.
fn is_output(part: &Value) -> bool {
    match part.get("type").and_then(Value::as_str) {
        Some("text" | "reasoning") => part
            .get("text")
            .and_then(Value::as_str)
            .is_some_and(|t| !t.trim().is_empty()),
        Some("tool") => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(kind: &str, props: Value) -> Event {
        Event::parse(
            &json!({"directory": "/w", "payload": {"type": kind, "properties": props}}).to_string(),
        )
        .unwrap()
    }

    fn status(t: Value) -> Event {
        ev("session.status", json!({"sessionID": "s", "status": t}))
    }

    fn assistant(id: &str, extra: Value) -> Event {
        let mut info =
            json!({"id": id, "sessionID": "s", "role": "assistant", "path": {"cwd": "/w/sub"}});
        info.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        ev("message.updated", json!({"sessionID": "s", "info": info}))
    }

    fn part(msg: &str, p: Value) -> Event {
        let mut part = json!({"messageID": msg, "sessionID": "s"});
        part.as_object_mut()
            .unwrap()
            .extend(p.as_object().unwrap().clone());
        ev(
            "message.part.updated",
            json!({"sessionID": "s", "part": part}),
        )
    }

    #[test]
    fn a_turn_reports_progress_once_then_an_idle_check() {
        let mut t = Tracker::default();
        assert_eq!(
            t.on_event(&status(json!({"type": "busy"}))),
            vec![Step::Cancel("s".into())]
        );
        assert!(t.on_event(&assistant("m1", json!({}))).is_empty());
        assert_eq!(t.dir("s"), Some(PathBuf::from("/w/sub")));
        assert!(
            t.on_event(&part("m1", json!({"type": "step-start"})))
                .is_empty()
        );
        assert!(
            t.on_event(&part("m1", json!({"type": "text", "text": ""})))
                .is_empty()
        );
        assert_eq!(
            t.on_event(&part("m1", json!({"type": "text", "text": "hi"}))),
            vec![Step::Emit("s".into(), Signal::Progress)]
        );
        assert!(t.on_event(&part("m1", json!({"type": "tool"}))).is_empty());
        assert_eq!(
            t.on_event(&ev("session.idle", json!({"sessionID": "s"}))),
            vec![Step::Check("s".into())]
        );
        assert!(t.take_busy().is_empty());
    }

    #[test]
    fn user_parts_and_compaction_summaries_are_not_progress() {
        let mut t = Tracker::default();
        t.on_event(&status(json!({"type": "busy"})));
        assert!(
            t.on_event(&part("u1", json!({"type": "text", "text": "prompt"})))
                .is_empty()
        );
        t.on_event(&assistant(
            "c1",
            json!({"mode": "compaction", "summary": true}),
        ));
        assert!(
            t.on_event(&part("c1", json!({"type": "text", "text": "summary"})))
                .is_empty()
        );
    }

    #[test]
    fn each_retry_attempt_is_reported_once() {
        let mut t = Tracker::default();
        let retry = |n: u32| {
            status(
                json!({"type": "retry", "attempt": n, "message": "Rate limit", "next": 1795482219418i64}),
            )
        };
        let steps = t.on_event(&retry(1));
        assert!(
            matches!(&steps[1], Step::Emit(_, Signal::Retrying { next: Some(_) })),
            "{steps:?}"
        );
        assert_eq!(t.on_event(&retry(1)).len(), 1);
        assert_eq!(t.on_event(&retry(2)).len(), 2);
        assert_eq!(t.take_busy(), vec!["s".to_string()]);
    }

    #[test]
    fn subagent_sessions_are_ignored() {
        let mut t = Tracker::default();
        t.on_event(&ev(
            "session.created",
            json!({"sessionID": "s", "info": {"id": "s", "parentID": "p", "directory": "/w"}}),
        ));
        assert!(t.on_event(&status(json!({"type": "busy"}))).is_empty());
        assert!(
            t.on_event(&ev("session.idle", json!({"sessionID": "s"})))
                .is_empty()
        );
        assert!(t.take_busy().is_empty());
    }
}

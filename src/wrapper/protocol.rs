//! What the daemon and a `palingenesis run` wrapper say on the wrapper's socket: framed JSON like the daemon's
//! own socket ([`crate::ipc::Connection`]), one request and one reply at a time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::interactive::Key;
use crate::protocol::WrapperRegistration;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum WrapperRequest {
    /// Who the wrapper is (for a daemon that starts after it).
    Info,
    /// The agent's screen as text.
    Screen,
    /// Type this text into the agent's terminal (no Enter).
    Type { text: String },
    /// Press a key.
    Key { key: Key },
    /// What the daemon plans, shown in the terminal's title.
    Plan { plan: PlanNotice },
}

/// The daemon's plan for the wrapper's session.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(tag = "plan", rename_all = "snake_case")]
pub enum PlanNotice {
    /// A resume is due at `at`.
    ResumeAt { at: DateTime<Utc> },
    /// The resume is being typed / verified now.
    ResumingNow,
    /// Nothing planned: give the title back to the agent.
    Clear,
}

impl PlanNotice {
    /// The terminal title for this plan, in the wrapper's local time; `None` for [`PlanNotice::Clear`].
    pub fn title(&self, tz: &impl chrono::TimeZone<Offset: std::fmt::Display>) -> Option<String> {
        match self {
            PlanNotice::ResumeAt { at } => Some(format!(
                "palingenesis: resuming at {}",
                at.with_timezone(tz).format("%H:%M")
            )),
            PlanNotice::ResumingNow => Some("palingenesis: resuming now".into()),
            PlanNotice::Clear => None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum WrapperReply {
    Info(WrapperRegistration),
    Screen { text: String },
    Done,
    Error { message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_become_titles_in_local_time() {
        let at: DateTime<Utc> = "2026-11-24T14:02:30Z".parse().unwrap();
        let berlin = "Europe/Berlin".parse::<crate::tz::Tz>().unwrap();
        assert_eq!(
            PlanNotice::ResumeAt { at }.title(&berlin).as_deref(),
            Some("palingenesis: resuming at 15:02")
        );
        assert_eq!(PlanNotice::Clear.title(&Utc), None);
    }

    #[test]
    fn requests_are_tagged_json() {
        let r = WrapperRequest::Key { key: Key::Escape };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"request":"key","key":"escape"}"#);
        assert_eq!(serde_json::from_str::<WrapperRequest>(&s).unwrap(), r);
    }
}

//! The daily summary: what the daemon handled since the last one.

use chrono::{DateTime, Local, NaiveTime, TimeZone};

use super::message::Message;
use crate::audit::{AuditEvent, EventType};

/// Counts since the last summary.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct DailyCounts {
    pub stops: u64,
    pub resumes: u64,
    pub new_sessions: u64,
    pub resume_failures: u64,
    pub sessions_given_up: u64,
    pub needs_attention: u64,
}

impl DailyCounts {
    pub fn count(&mut self, e: &AuditEvent) {
        match e.event {
            EventType::StopDetected => self.stops += 1,
            EventType::ResumeCompleted => self.resumes += 1,
            EventType::SessionCreated => self.new_sessions += 1,
            EventType::ResumeFailed => self.resume_failures += 1,
            EventType::SessionFailed => self.sessions_given_up += 1,
            EventType::NeedsAttention => self.needs_attention += 1,
            _ => {}
        }
    }

    pub fn message(&self) -> Message {
        let title = "palingenesis daily summary".to_string();
        let body = format!(
            "{title}\nstops handled: {}\nresumed: {}\nnew sessions: {}\nresume attempts failed: {}\n\
             sessions given up: {}\nneeded a person: {}",
            self.stops,
            self.resumes,
            self.new_sessions,
            self.resume_failures,
            self.sessions_given_up,
            self.needs_attention
        );
        Message {
            json: serde_json::json!({ "kind": "daily_summary", "title": title, "counts": self }),
            title,
            body,
            kind: "daily_summary",
            buttons_for: None,
            event: None,
            session: None,
        }
    }
}

/// The next local `at` (`HH:MM`, already validated) strictly after `now`.
pub fn next_at(now: DateTime<Local>, at: &str) -> Option<DateTime<Local>> {
    let time = NaiveTime::parse_from_str(at, "%H:%M").ok()?;
    (0..3).find_map(|days| {
        let date = now.date_naive() + chrono::Days::new(days);
        // A time that does not exist that day (a DST gap) resolves to the next candidate.
        Local
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .filter(|t| *t > now)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_summary_is_today_or_tomorrow() {
        let now = Local.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap();
        assert_eq!(
            next_at(now, "10:30").unwrap(),
            Local.with_ymd_and_hms(2026, 3, 10, 10, 30, 0).unwrap()
        );
        assert_eq!(
            next_at(now, "08:00").unwrap(),
            Local.with_ymd_and_hms(2026, 3, 11, 8, 0, 0).unwrap()
        );
        assert!(next_at(now, "nope").is_none());
    }

    #[test]
    fn counts_follow_events() {
        let mut c = DailyCounts::default();
        for t in [
            EventType::StopDetected,
            EventType::StopDetected,
            EventType::ResumeCompleted,
            EventType::ResumeFailed,
        ] {
            c.count(&AuditEvent::new(t));
        }
        let m = c.message();
        assert!(m.body.contains("stops handled: 2") && m.body.contains("resumed: 1"));
        assert_eq!(m.json["counts"]["resume_failures"], 1);
    }
}

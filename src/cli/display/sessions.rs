//! The sessions table: short unique ids, coloured states, local times with countdowns.

use chrono::{DateTime, Utc};

use super::Display;
use super::color::{self, COUNTDOWN};
use super::table::{Cell, Table};
use crate::model::session_ref::ShortIds;
use crate::protocol::{SessionInfo, SessionList};

/// The column titles of [`Display::sessions`] (`fleet sessions` adds HOST in front).
pub const TITLES: [&str; 5] = ["SESSION", "STATE", "LAST STOP", "REACH", "NEXT"];

impl Display {
    /// The table of `list`, or a line saying there is nothing.
    pub fn sessions(&self, list: &SessionList, now: DateTime<Utc>) -> String {
        if list.sessions.is_empty() {
            return "no sessions tracked yet\n".to_string();
        }
        let short = ShortIds::new(list.sessions.iter().map(|s| &s.key));
        let mut table = Table::new(TITLES.to_vec());
        for s in &list.sessions {
            table.push(self.session_cells(s, &short, now));
        }
        table.render(&self.paint)
    }

    /// One session's cells, in [`TITLES`] order; `short` names its id.
    pub fn session_cells(
        &self,
        s: &SessionInfo,
        short: &ShortIds,
        now: DateTime<Utc>,
    ) -> Vec<Cell> {
        let next = s.next_action.as_ref().map_or_else(
            || "-".to_string(),
            |n| format!("{} {}", action_words(&n.action), self.when(n.at, now)),
        );
        vec![
            Cell::plain(format!("{}:{}", s.key.assistant, short.of(&s.key))),
            Cell::styled(s.state.as_str(), color::state(s.state)),
            Cell::plain(s.last_stop.as_ref().map_or("-", |r| r.label())),
            Cell::styled(s.reach.as_str(), color::reach(&s.reach)),
            Cell::plain(next),
        ]
    }

    /// `18:40 IST (in 4h 12m)`, the countdown painted.
    pub fn when(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
        format!(
            "{} ({})",
            self.zone.clock(at, now),
            self.paint
                .paint(COUNTDOWN, &super::clock::countdown(at, now))
        )
    }
}

/// A planned action as a person says it (`--json` keeps the protocol's name).
fn action_words(action: &str) -> &str {
    match action {
        "resume_same_session" => "resume",
        "new_session" => "new session",
        "summarize_and_continue" => "summarize",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{PlannedActionView, SessionStateView};

    fn info(id: &str, reach: &str, now: DateTime<Utc>) -> SessionInfo {
        SessionInfo {
            key: crate::model::SessionKey::new(crate::assistants::claude::ASSISTANT, id),
            state: SessionStateView::Waiting,
            last_stop: None,
            next_action: None,
            reach: reach.into(),
            resumes_last_hour: 0,
            locator: Default::default(),
            updated_at: now,
            context: None,
            quota: None,
            parked: false,
        }
    }

    #[test]
    fn sessions_fit_a_hundred_columns_with_short_ids_and_local_times() {
        let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let mut waiting = info(
            "7a1b2c3d-0000-4000-8000-000000000001",
            "needs_attention",
            now,
        );
        waiting.last_stop = Some(crate::model::StopReason::ContextExhausted);
        waiting.next_action = Some(PlannedActionView {
            action: "resume_same_session".into(),
            at: "2026-12-01T14:12:30Z".parse().unwrap(),
            reason: String::new(),
        });
        let list = SessionList {
            sessions: vec![
                waiting,
                info("7a1b2c3d-9999-4000-8000-000000000002", "pty", now),
            ],
        };
        let d = Display {
            paint: Default::default(),
            zone: super::super::clock::Zone::Named("Asia/Kolkata".parse().unwrap()),
        };
        let text = d.sessions(&list, now);
        assert_eq!(
            text,
            "SESSION            STATE    LAST STOP          REACH            NEXT\n\
             claude:7a1b2c3d-0  waiting  context_exhausted  needs_attention  \
             resume 19:42 IST (in 4h 12m)\n\
             claude:7a1b2c3d-9  waiting  -                  pty              -\n"
        );
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    }
}

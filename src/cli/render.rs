//! Human and JSON rendering of responses. Pure functions of their input (and `now`), so they are tested exactly.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::exit;
use crate::protocol::{DaemonMode, Response, SessionList, StatusReport};

pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn unexpected(resp: Response) -> anyhow::Result<u8> {
    match resp {
        Response::Error(e) => anyhow::bail!("{}", e.message),
        other => anyhow::bail!("unexpected answer from the daemon: {other:?}"),
    }
}

pub fn done_or_error(resp: Response) -> anyhow::Result<u8> {
    match resp {
        Response::Done(d) => {
            println!("{}", d.message);
            Ok(exit::OK)
        }
        other => unexpected(other),
    }
}

/// "in 4m 10s" / "5s ago".
pub fn countdown(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    let (abs, future) = (secs.unsigned_abs(), secs >= 0);
    let text = if abs >= 86_400 {
        format!("{}d {}h", abs / 86_400, abs % 86_400 / 3600)
    } else if abs >= 3600 {
        format!("{}h {}m", abs / 3600, abs % 3600 / 60)
    } else if abs >= 60 {
        format!("{}m {}s", abs / 60, abs % 60)
    } else {
        format!("{abs}s")
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

pub fn status(s: &StatusReport, now: DateTime<Utc>) -> String {
    let mode = match s.mode {
        DaemonMode::Monitoring => "monitoring",
        DaemonMode::Paused => "PAUSED (watching, not acting)",
    };
    let mut out = format!(
        "palingenesis {} (pid {}) — {}\nup since {} ({})\nsessions: {} tracked, {} waiting\n",
        s.version,
        s.pid,
        mode,
        s.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        countdown(s.started_at, now),
        s.sessions_total,
        s.sessions_waiting
    );
    if let Some(at) = s.next_action_at {
        out.push_str(&format!(
            "next action: {} ({})\n",
            at.format("%H:%M:%S UTC"),
            countdown(at, now)
        ));
    }
    if s.watching.is_empty() {
        out.push_str("watching: nothing (no assistant found; see `palingenesis config show`)\n");
    }
    for w in &s.watching {
        out.push_str(&format!(
            "watching: {} via {} at {}\n",
            w.assistant, w.source, w.location
        ));
    }
    out.push_str(&saves(&s.saves));
    out
}

/// "1h 5m" / "12m" / "0m": agent time recovered.
pub fn duration(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}h {}m", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{}m", secs / 60)
    }
}

/// What palingenesis got done: totals, then per assistant and per day.
pub fn saves(r: &crate::saves::SavesReport) -> String {
    let mut out = format!(
        "saves: {} of {} stops resumed and verified; {} of agent time recovered\n",
        r.total.saves,
        r.total.stops,
        duration(r.total.recovered_secs)
    );
    for row in r.by_assistant.iter().chain(&r.by_day) {
        out.push_str(&format!(
            "  {:<10}  stops {:>4}  saves {:>4}  recovered {:>8}\n",
            row.key,
            row.tally.stops,
            row.tally.saves,
            duration(row.tally.recovered_secs)
        ));
    }
    out
}

/// The column titles of [`sessions`].
pub fn sessions_header() -> String {
    format!(
        "{:<46} {:<9} {:<18} {:<15} {}\n",
        "SESSION", "STATE", "LAST STOP", "REACH", "NEXT"
    )
}

pub fn sessions(list: &SessionList, now: DateTime<Utc>) -> String {
    if list.sessions.is_empty() {
        return "no sessions tracked yet\n".to_string();
    }
    let mut out = sessions_header();
    for s in &list.sessions {
        let next = s.next_action.as_ref().map_or("-".to_string(), |n| {
            format!(
                "{} {} ({})",
                n.action,
                n.at.format("%H:%M:%S"),
                countdown(n.at, now)
            )
        });
        out.push_str(&format!(
            "{:<46} {:<9} {:<18} {:<15} {}\n",
            s.key.to_string(),
            s.state.as_str(),
            s.last_stop.as_ref().map_or("-", |r| r.label()),
            s.reach,
            next
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_show_how_each_will_be_resumed() {
        let now: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
        let info = |id: &str, reach: &str| crate::protocol::SessionInfo {
            key: crate::model::SessionKey::new(crate::assistants::claude::ASSISTANT, id),
            state: crate::protocol::SessionStateView::Waiting,
            last_stop: None,
            next_action: None,
            reach: reach.into(),
            resumes_last_hour: 0,
            locator: Default::default(),
            updated_at: now,
            parked: false,
        };
        let list = SessionList {
            sessions: vec![info("a", "pty"), info("b", "needs_attention")],
        };
        let text = sessions(&list, now);
        let lines: Vec<&str> = text.lines().collect();
        let next = lines[0].find("NEXT");
        assert_eq!(lines[1].rfind('-'), next, "{text}");
        assert_eq!(
            lines[2].rfind('-'),
            next,
            "needs_attention fits its column:\n{text}"
        );
        assert_eq!(lines[1].find("pty"), lines[0].find("REACH"));
        assert_eq!(lines[2].find("needs_attention"), lines[0].find("REACH"));
    }

    #[test]
    fn saves_show_totals_per_assistant_and_per_day() {
        use crate::saves::{SavesReport, Tally, TallyRow};
        let tally = Tally {
            stops: 3,
            saves: 2,
            recovered_secs: 3900,
        };
        let row = |key: &str| TallyRow {
            key: key.into(),
            tally: tally.clone(),
        };
        let text = saves(&SavesReport {
            total: tally.clone(),
            by_assistant: vec![row("claude")],
            by_day: vec![row("2026-11-30")],
        });
        assert_eq!(
            text,
            "saves: 2 of 3 stops resumed and verified; 1h 5m of agent time recovered\n\
             \x20 claude      stops    3  saves    2  recovered    1h 5m\n\
             \x20 2026-11-30  stops    3  saves    2  recovered    1h 5m\n"
        );
    }

    #[test]
    fn countdowns_read_naturally() {
        let now: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
        let at = |s: i64| now + chrono::Duration::seconds(s);
        assert_eq!(countdown(at(5), now), "in 5s");
        assert_eq!(countdown(at(250), now), "in 4m 10s");
        assert_eq!(countdown(at(-3700), now), "1h 1m ago");
        assert_eq!(countdown(at(90_000), now), "in 1d 1h");
    }
}

//! Human and JSON rendering of responses. Pure functions of their input (and `now`), so they are tested exactly.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::display::clock::countdown;
use super::display::{Display, color};
use super::exit;
use crate::protocol::{DaemonMode, Response, StatusReport};

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

pub fn status(s: &StatusReport, now: DateTime<Utc>, d: &Display) -> String {
    let mode = match s.mode {
        DaemonMode::Monitoring => d.paint.paint(color::GOOD, "monitoring"),
        DaemonMode::Paused => d
            .paint
            .paint(color::PAUSED, "PAUSED (watching, not acting)"),
    };
    let mut out = format!(
        "palingenesis {} (pid {}) — {}\nup since {} ({})\nsessions: {} tracked, {} waiting\n",
        s.version,
        s.pid,
        mode,
        d.zone.full(s.started_at),
        countdown(s.started_at, now),
        s.sessions_total,
        s.sessions_waiting
    );
    if let Some(at) = s.next_action_at {
        out.push_str(&format!("next action: {}\n", d.when(at, now)));
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

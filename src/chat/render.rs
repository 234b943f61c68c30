//! The one renderer of protocol responses (and audit events) as short chat text.

use crate::audit::AuditEvent;
use crate::protocol::{DaemonMode, Response, SessionInfo};

/// Sessions listed in one message at most.
const MAX_SESSIONS: usize = 15;

pub fn response(resp: &Response) -> String {
    match resp {
        Response::Status(s) => {
            let mode = match s.mode {
                DaemonMode::Monitoring => "monitoring",
                DaemonMode::Paused => "paused",
            };
            let mut out = format!(
                "palingenesis {} ({mode}): {} sessions, {} waiting",
                s.version, s.sessions_total, s.sessions_waiting
            );
            if let Some(at) = s.next_action_at {
                out.push_str(&format!("\nnext action at {}", at.format("%H:%M:%S UTC")));
            }
            for w in &s.watching {
                out.push_str(&format!("\nwatching {} ({})", w.assistant, w.source));
            }
            out
        }
        Response::Sessions(list) | Response::Preview(list) => sessions(&list.sessions),
        Response::Health(h) => {
            let mut out = format!("health: {}", if h.ok { "ok" } else { "NOT ok" });
            for c in &h.checks {
                let mark = if c.ok { "ok" } else { "FAIL" };
                out.push_str(&format!("\n{mark} {}: {}", c.name, c.detail));
            }
            out
        }
        Response::AgentSession(r) => r.summary(),
        Response::Done(d) => d.message.clone(),
        Response::Continue(c) => c.instruction.clone(),
        Response::Error(e) => format!("error: {}", e.message),
        Response::Hello(h) => format!("palingenesis {}", h.daemon_version),
    }
}

fn sessions(list: &[SessionInfo]) -> String {
    if list.is_empty() {
        return "no sessions tracked".into();
    }
    let mut sorted: Vec<&SessionInfo> = list.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.updated_at));
    let mut out = format!("{} sessions (newest first):", list.len());
    // Unique among all tracked sessions, so every id shown is accepted back by a command.
    let ids = crate::model::session_ref::ShortIds::new(list.iter().map(|s| &s.key));
    for s in sorted.iter().take(MAX_SESSIONS) {
        out.push_str(&format!(
            "\n{} {} {}",
            s.key.assistant,
            ids.of(&s.key),
            s.state.as_str()
        ));
        if let Some(stop) = &s.last_stop {
            out.push_str(&format!(" ({})", stop.label()));
        }
        if let Some(next) = &s.next_action {
            out.push_str(&format!(
                ", {} at {}",
                next.action,
                next.at.format("%H:%M UTC")
            ));
        }
    }
    if list.len() > MAX_SESSIONS {
        out.push_str(&format!("\n... and {} more", list.len() - MAX_SESSIONS));
    }
    out
}

/// Audit events, one line each.
pub fn events(events: &[AuditEvent]) -> String {
    if events.is_empty() {
        return "no audit events yet".into();
    }
    events
        .iter()
        .map(|e| {
            let mut line = format!("{} {}", e.ts.format("%m-%d %H:%M:%S"), e.event);
            if let Some(s) = &e.session {
                line.push_str(&format!(" {}", short(s)));
            }
            for part in [&e.action, &e.outcome, &e.reason].into_iter().flatten() {
                line.push_str(&format!(" {part}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first eight characters of an id, enough to tell sessions apart in a message.
pub fn short(s: &str) -> &str {
    s.get(..8).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_and_errors_read_plainly() {
        assert_eq!(response(&Response::done("paused")), "paused");
        let e = Response::error(crate::protocol::ErrorCode::NotFound, "no such session");
        assert_eq!(response(&e), "error: no such session");
        assert_eq!(
            response(&Response::Sessions(Default::default())),
            "no sessions tracked"
        );
    }
}

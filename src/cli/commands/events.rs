//! `palingenesis events`: query (and follow) the audit trail. Reads the files directly; no daemon needed.

use crate::audit::{self, AuditEvent, AuditQuery, EventType};
use crate::cli::args::EventsArgs;
use crate::cli::display::{Display, color};
use crate::cli::exit;
use crate::model::SessionKey;
use crate::model::session_ref::{Resolved, ShortIds, ambiguity, resolve};
use crate::paths::Paths;
use crate::protocol::{Request, Response};

pub async fn run(paths: &Paths, args: EventsArgs, d: Display) -> anyhow::Result<u8> {
    let types = args
        .types
        .iter()
        .map(|t| {
            serde_json::from_value::<EventType>(serde_json::Value::String(t.clone()))
                .ok()
                .filter(|e| *e != EventType::Unknown)
                .ok_or_else(|| anyhow::anyhow!("unknown event type `{t}` (e.g. StopDetected, ResumeStarted, ResumeCompleted)"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let tracked = if args.json && args.session.is_none() {
        Vec::new()
    } else {
        tracked_sessions(paths).await
    };
    let query = AuditQuery {
        types,
        since: args.since.as_deref().map(super::parse_since).transpose()?,
        until: None,
        session: args
            .session
            .as_deref()
            .map(|s| session_filter(s, &tracked))
            .transpose()?,
        limit: args.limit,
    };
    let path = paths.audit_file();
    let tracked: Vec<String> = tracked.into_iter().map(|k| k.id).collect();
    if args.follow {
        // The follower reads the backlog itself (with `--since` and `--limit`), then what is appended: the
        // history is printed once.
        let (tx, mut rx) = tokio::sync::mpsc::channel(256);
        crate::tasks::spawn(async move { audit::follow(path, query, tx).await });
        let short = ShortIds::of_ids(tracked.iter().map(String::as_str));
        while let Some(e) = rx.recv().await {
            print_event(&e, args.json, &d, &short)?;
        }
        return Ok(exit::OK);
    }
    let result = crate::tasks::spawn_blocking(move || audit::query(&path, &query)).await??;
    let ids = result.events.iter().filter_map(|e| e.session.as_deref());
    let short = ShortIds::of_ids(ids.chain(tracked.iter().map(String::as_str)));
    for e in &result.events {
        print_event(e, args.json, &d, &short)?;
    }
    if result.corrupt_lines > 0 {
        eprintln!("({} corrupt line(s) skipped)", result.corrupt_lines);
    }
    Ok(exit::OK)
}

/// The sessions the daemon tracks (none when it does not answer): shown ids are unique among them, and
/// `--session` is resolved among them.
async fn tracked_sessions(paths: &Paths) -> Vec<SessionKey> {
    match crate::ipc::client::request_once(&paths.socket(), &Request::Sessions).await {
        Ok(Response::Sessions(list)) => list.sessions.into_iter().map(|s| s.key).collect(),
        _ => Vec::new(),
    }
}

/// `--session` as the audit trail names it: a tracked session's unique prefix becomes its id;
/// anything else (a forgotten session's id) is matched as given.
fn session_filter(wanted: &str, tracked: &[SessionKey]) -> anyhow::Result<String> {
    match resolve(tracked, wanted) {
        Resolved::One(key) => Ok(key.id.clone()),
        Resolved::None => Ok(wanted.to_string()),
        Resolved::Ambiguous(many) => anyhow::bail!("{}", ambiguity(wanted, &many)),
    }
}

fn print_event(e: &AuditEvent, json: bool, d: &Display, short: &ShortIds) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(e)?);
        return Ok(());
    }
    let kind = format!("{:<16}", format!("{:?}", e.event));
    let mut line = format!(
        "{} {}",
        d.zone.full(e.ts),
        d.paint.paint(style_of(e.event), &kind)
    );
    if let Some(s) = &e.session {
        line.push_str(&format!(" {}", short.id(s)));
    }
    for (label, v) in [
        ("reason", &e.reason),
        ("action", &e.action),
        ("outcome", &e.outcome),
    ] {
        if let Some(v) = v {
            line.push_str(&format!(" {label}={v}"));
        }
    }
    if let Some(m) = &e.message {
        line.push_str(&format!(" — {m}"));
    }
    println!("{line}");
    Ok(())
}

/// How an event type stands out: failures red, what needs a person bold red, successes green.
fn style_of(t: EventType) -> anstyle::Style {
    use EventType::*;
    match t {
        NeedsAttention | ServerGaveUp => color::ATTENTION,
        ResumeFailed | SessionFailed | ConfigRejected | ChatRefused => color::BAD,
        ResumeCompleted | SessionDone => color::GOOD,
        StopDetected | ResumeScheduled => color::WAITING,
        ResumeStarted | SessionCreated => color::ACTIVE,
        Paused => color::PAUSED,
        _ => anstyle::Style::new(),
    }
}

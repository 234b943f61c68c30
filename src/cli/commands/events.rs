//! `palingenesis events`: query (and follow) the audit trail. Reads the files directly; no daemon needed.

use crate::audit::{self, AuditEvent, AuditQuery, EventType};
use crate::cli::args::EventsArgs;
use crate::cli::exit;
use crate::paths::Paths;

pub async fn run(paths: &Paths, args: EventsArgs) -> anyhow::Result<u8> {
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
    let query = AuditQuery {
        types,
        since: args.since.as_deref().map(super::parse_since).transpose()?,
        until: None,
        session: args.session.clone(),
        limit: args.limit,
    };
    let path = paths.audit_file();
    if args.follow {
        // The follower reads the backlog itself (with `--since` and `--limit`), then what is appended: the
        // history is printed once.
        let (tx, mut rx) = tokio::sync::mpsc::channel(256);
        tokio::spawn(async move { audit::follow(path, query, tx).await });
        while let Some(e) = rx.recv().await {
            print_event(&e, args.json)?;
        }
        return Ok(exit::OK);
    }
    let result = tokio::task::spawn_blocking(move || audit::query(&path, &query)).await??;
    for e in &result.events {
        print_event(e, args.json)?;
    }
    if result.corrupt_lines > 0 {
        eprintln!("({} corrupt line(s) skipped)", result.corrupt_lines);
    }
    Ok(exit::OK)
}

fn print_event(e: &AuditEvent, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(e)?);
        return Ok(());
    }
    let mut line = format!(
        "{} {:<16}",
        e.ts.format("%Y-%m-%d %H:%M:%S"),
        format!("{:?}", e.event)
    );
    if let Some(s) = &e.session {
        line.push_str(&format!(" {}", s));
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

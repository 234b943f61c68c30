//! `palingenesis hook <assistant>`: called by the assistant with a JSON payload on stdin. Forwards it to the
//! daemon; if the daemon is down, records it in the audit trail. Never fails the agent: always exits 0 quickly.
//! The payload is spooled to disk first ([`crate::hookspool`]): if this process is killed before the daemon
//! has it, or no daemon runs, the daemon takes it from there.
//! When the daemon answers with a checkpoint request (the end of a turn with the context past the
//! `[checkpoint]` threshold), prints what makes the agent go on with it; otherwise prints nothing.

use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::audit::{AuditEvent, AuditLog, EventType};
use crate::cli::exit;
use crate::ipc::client::request_once;
use crate::model::Assistant;
use crate::paths::Paths;
use crate::protocol::{HOOK_CONTEXT_USE_FIELD, HookForward, MAX_FRAME_BYTES, Request, Response};

pub async fn run(paths: &Paths, assistant: Assistant) -> anyhow::Result<u8> {
    // An agent ending its run signals the hooks still running: Claude Code 2.1.332 sends SIGTERM to its
    // StopFailure and SessionEnd hooks as `-p` exits, the moment the stop is reported, and SIGKILL about
    // 1.5 s later. The payload must still reach the daemon, so these signals are held off (they do not end
    // this process) until it has been delivered or recorded, which is bounded by the timeouts below; and it
    // is spooled first, for the SIGKILL that cannot be held off.
    let _held = hold_off_termination();
    let mut raw = Vec::new();
    let _ = tokio::io::stdin()
        .take(MAX_FRAME_BYTES as u64 / 2)
        .read_to_end(&mut raw)
        .await;
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(&raw) else {
        tracing::debug!("hook payload is not JSON; ignored");
        return Ok(exit::OK);
    };
    let spooled = spool(paths, assistant, &payload).await;
    // The agent process: its pid and environment let the daemon tell whether it still runs and resume it
    // the way it ran. The environment goes to the daemon only, never to the audit.
    let agent = agent_pid(assistant);
    let mut forwarded = payload.clone();
    if let Some(obj) = forwarded.as_object_mut() {
        if let Some(file) = &spooled {
            obj.insert(crate::hookspool::SPOOL_FIELD.into(), file.name().into());
        }
        obj.insert("palingenesis_agent_pid".into(), agent.into());
        let prefixes = crate::assistants::env_prefixes(assistant);
        let env = crate::tasks::spawn_blocking(move || crate::procfs::environment(agent, prefixes))
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        if !env.is_empty() {
            obj.insert(
                "palingenesis_agent_env".into(),
                serde_json::to_value(&env).unwrap_or_default(),
            );
        }
    }
    // How full the context is as the turn ends, read from the records now (the daemon may not have read
    // them yet): the daemon may answer with a checkpoint request.
    if let (Some(obj), Some(adapter)) =
        (forwarded.as_object_mut(), crate::assistants::get(assistant))
    {
        let p = payload.clone();
        let usage = crate::tasks::spawn_blocking(move || adapter.hook_context_use(&p))
            .await
            .ok()
            .flatten();
        if let Some(usage) = usage {
            obj.insert(
                HOOK_CONTEXT_USE_FIELD.into(),
                serde_json::to_value(usage).unwrap_or_default(),
            );
        }
    }
    let req = Request::Hook(HookForward {
        assistant,
        payload: forwarded,
    });
    let sent =
        tokio::time::timeout(Duration::from_secs(3), request_once(&paths.socket(), &req)).await;
    if let Ok(Ok(Response::Continue(c))) = &sent {
        // The agent goes on with the instruction (the early checkpoint), as its hooks say it.
        if let Some(out) =
            crate::assistants::get(assistant).and_then(|a| a.hook_continue(&c.instruction))
        {
            println!("{out}");
        }
    }
    if matches!(sent, Ok(Ok(_))) {
        if let Some(file) = spooled {
            let _ = crate::tasks::spawn_blocking(move || file.delivered()).await;
        }
    } else {
        let event = AuditEvent::new(EventType::HookReceived)
            .assistant(assistant)
            .session(
                payload
                    .get("session_id")
                    .and_then(|s| s.as_str())
                    .unwrap_or_default()
                    .to_string(),
            )
            .outcome("daemon_unreachable")
            .metadata(payload);
        let path = paths.audit_file();
        let _ = crate::tasks::spawn_blocking(move || {
            AuditLog::open(&path, Default::default()).and_then(|log| log.append(&event))
        })
        .await;
    }
    Ok(exit::OK)
}

/// Write the payload (with the time it arrived) where the daemon finds it if this process never reaches it.
async fn spool(
    paths: &Paths,
    assistant: Assistant,
    payload: &serde_json::Value,
) -> Option<crate::hookspool::SpoolFile> {
    let mut payload = payload.clone();
    payload.as_object_mut()?.insert(
        crate::hookspool::SPOOLED_AT_FIELD.into(),
        chrono::Utc::now().to_rfc3339().into(),
    );
    let dir = crate::hookspool::dir(&paths.state_dir);
    let spooled = crate::hookspool::Spooled { assistant, payload };
    let written =
        crate::tasks::spawn_blocking(move || crate::hookspool::write(&dir, &spooled)).await;
    match written {
        Ok(Ok(file)) => Some(file),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "cannot spool the hook payload");
            None
        }
        Err(_) => None,
    }
}

/// Replaces the default action (terminate) of SIGTERM, SIGHUP and SIGINT for the rest of this short-lived
/// process; the returned streams are never polled.
fn hold_off_termination() -> Vec<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    [
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::interrupt(),
    ]
    .into_iter()
    .filter_map(|kind| signal(kind).ok())
    .collect()
}

/// The agent that ran this hook: the nearest ancestor running the assistant (Claude Code runs hook commands
/// through `sh -c`, which may or may not `exec` them), else the parent.
fn agent_pid(assistant: Assistant) -> u32 {
    let parent = std::os::unix::process::parent_id();
    let Some(adapter) = crate::assistants::get(assistant) else {
        return parent;
    };
    crate::procfs::lineage(parent)
        .into_iter()
        .take(4)
        .find(|s| {
            crate::procfs::ProcessInfo::of(s.pid).is_some_and(|p| adapter.process().is_agent(&p))
        })
        .map_or(parent, |s| s.pid)
}

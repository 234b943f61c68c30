//! `palingenesis inspect <transcript-or-session>`: what the daemon concludes about a session — last stop,
//! reason, reset instant, and the action it would plan and when.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::json;

use crate::classify::env_tz;
use crate::cli::args::InspectArgs;
use crate::cli::display::Display;
use crate::cli::{exit, render};
use crate::config::Config;
use crate::decide::{self, History, Plan};
use crate::ipc::client::request_once;
use crate::model::{Assistant, Signal, StopReason};
use crate::paths::Paths;
use crate::protocol::{Request, Response};

/// What one transcript says about its session.
#[derive(Debug, Default, serde::Serialize)]
struct Findings {
    session_id: Option<String>,
    cwd: Option<PathBuf>,
    lines: usize,
    unparseable_lines: usize,
    last_progress_at: Option<chrono::DateTime<chrono::Utc>>,
    last_stop: Option<(chrono::DateTime<chrono::Utc>, StopReason, String)>,
}

pub async fn run(paths: &Paths, args: InspectArgs, d: Display) -> anyhow::Result<u8> {
    let path = PathBuf::from(&args.target);
    if !path.is_file() {
        return inspect_tracked(paths, &args, &d).await;
    }
    let assistant = args.assistant.unwrap_or_else(|| guess_assistant(&path));
    let p = path.clone();
    let findings = crate::tasks::spawn_blocking(move || scan(&p, assistant)).await??;
    let config = crate::config::load(&paths.config_file).unwrap_or_default();
    let plan = plan_for(&findings, assistant, &config, &d);
    if args.json {
        render::json(
            &json!({ "file": path, "assistant": assistant, "findings": findings, "plan": plan }),
        )?;
        return Ok(exit::OK);
    }
    println!("file:      {}", path.display());
    println!("assistant: {assistant}");
    println!(
        "session:   {}",
        findings.session_id.as_deref().unwrap_or("?")
    );
    if let Some(cwd) = &findings.cwd {
        println!("cwd:       {}", cwd.display());
    }
    println!(
        "lines:     {} ({} unparseable, skipped)",
        findings.lines, findings.unparseable_lines
    );
    match &findings.last_stop {
        Some((at, reason, evidence)) => {
            println!("last stop: {} at {}", reason.label(), d.zone.full(*at));
            if let StopReason::UsageLimit {
                resets_at: Some(t), ..
            } = reason
            {
                println!("resets at: {}", d.when(*t, chrono::Utc::now()));
            }
            println!("evidence:  {evidence}");
        }
        None => println!("last stop: none"),
    }
    println!("plan:      {}", plan["summary"].as_str().unwrap_or("-"));
    Ok(exit::OK)
}

/// The assistant whose transcript `path` is: the first that claims it, else the first supported.
fn guess_assistant(path: &Path) -> Assistant {
    let all = crate::assistants::all();
    all.iter()
        .find(|a| a.owns_transcript(path))
        .unwrap_or(&all[0])
        .assistant()
}

fn scan(path: &Path, assistant: Assistant) -> anyhow::Result<Findings> {
    let adapter = crate::assistants::get(assistant)
        .ok_or_else(|| anyhow::anyhow!("unknown assistant {assistant}"))?;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let ctx = crate::classify::ClassifyContext::new(chrono::Utc::now(), env_tz());
    let mut reader = adapter.record_reader(ctx);
    let mut f = Findings::default();
    for line in std::io::BufReader::new(file).lines() {
        let Ok(line) = line else {
            f.unparseable_lines += 1;
            continue;
        };
        f.lines += 1;
        let Ok(record) = reader.read(&line) else {
            f.unparseable_lines += 1;
            continue;
        };
        f.session_id = f.session_id.take().or(record.session_id);
        f.cwd = f.cwd.take().or(record.cwd);
        let at = record.at.unwrap_or_else(chrono::Utc::now);
        match record.signal {
            Some(Signal::Progress) => {
                f.last_progress_at = Some(at);
                f.last_stop = None;
            }
            Some(Signal::Stopped { reason, evidence }) => {
                f.last_stop = Some((at, reason, evidence))
            }
            _ => {}
        }
    }
    f.session_id = adapter.transcript_session(path).or(f.session_id);
    Ok(f)
}

/// What the daemon would do about the file's last stop: a summary in the display's zone and, for a resume,
/// its instant (RFC 3339 UTC in `--json`).
fn plan_for(f: &Findings, assistant: Assistant, config: &Config, d: &Display) -> serde_json::Value {
    let Some((at, reason, _)) = &f.last_stop else {
        return json!({ "summary": "nothing to do: the session did not stop on an error" });
    };
    let now = chrono::Utc::now();
    let stale =
        now.signed_duration_since(*at) > crate::clock::secs(config.monitoring.freshness_secs);
    let plan = decide::decide(
        reason,
        assistant,
        History::default(),
        config,
        now.max(*at),
        0.0,
    );
    let summary = match (&plan, stale) {
        (Plan::Resume { .. }, true) => {
            "the stop is older than the freshness window; the daemon records it but does not act"
                .to_string()
        }
        (Plan::Resume { action, at, why }, false) => {
            format!("{} at {}: {why}", action.as_str(), d.when(*at, now))
        }
        (Plan::Notify { why }, _) => format!("notify only: {why}"),
        (Plan::Finish { why }, _) => format!("nothing: {why}"),
        (Plan::GiveUp { why }, _) => format!("give up: {why}"),
    };
    let at = match &plan {
        Plan::Resume { at, .. } if !stale => Some(*at),
        _ => None,
    };
    json!({ "summary": summary, "stale": stale, "at": at })
}

async fn inspect_tracked(paths: &Paths, args: &InspectArgs, d: &Display) -> anyhow::Result<u8> {
    let list = match request_once(&paths.socket(), &Request::Preview).await {
        Ok(Response::Preview(list)) => list,
        Ok(other) => return render::unexpected(other),
        Err(e) => {
            return Err(anyhow::anyhow!(
                "`{}` is not a file, and looking it up as a session failed: {e}",
                args.target
            ));
        }
    };
    use crate::model::session_ref::{Resolved, ambiguity, resolve};
    let one = match resolve(list.sessions.iter().map(|s| &s.key), &args.target) {
        Resolved::One(key) => list.sessions.iter().find(|s| &s.key == key),
        Resolved::None => None,
        Resolved::Ambiguous(many) => anyhow::bail!("{}", ambiguity(&args.target, &many)),
    };
    let Some(one) = one else {
        anyhow::bail!("`{}` is neither a file nor a tracked session", args.target)
    };
    if args.json {
        render::json(one)?;
        return Ok(exit::OK);
    }
    let single = crate::protocol::SessionList {
        sessions: vec![one.clone()],
    };
    print!("{}", d.sessions(&single, chrono::Utc::now()));
    println!("session:    {}", one.key);
    if let Some(t) = &one.locator.transcript {
        println!("transcript: {}", t.display());
    }
    Ok(exit::OK)
}

//! `sessions --watch` and `status --watch`: a view that stays current.
//!
//! What changes it: every event the daemon records (the audit trail, followed as `events --follow` does,
//! through file notifications) fetches a new answer at once; a slow refresh every [`REFRESH`] catches what
//! leaves no audit record (a session that only wrote progress). On a terminal the view is redrawn in place on
//! the alternate screen and its countdowns tick every second; `q` or Ctrl-C ends it and restores the
//! terminal. Into a pipe or file it prints a fresh snapshot (with `--json`, one JSON line) each time the
//! answer changes, and ends on SIGINT/SIGTERM or when the daemon stops answering.

use std::io::IsTerminal;
use std::time::Duration;

use chrono::Utc;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::Display;
use super::term::LiveTerminal;
use crate::audit::{self, AuditQuery};
use crate::cli::{exit, render};
use crate::ipc::client::request_once;
use crate::paths::Paths;
use crate::protocol::{Request, Response};

/// How often the answer is fetched again when nothing was recorded.
pub const REFRESH: Duration = Duration::from_secs(5);

/// How long one answer may take.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Which view.
#[derive(Clone, Copy, Debug)]
pub enum View {
    Sessions,
    Status,
}

impl View {
    fn request(self) -> Request {
        match self {
            View::Sessions => Request::Sessions,
            View::Status => Request::Status,
        }
    }

    fn title(self) -> &'static str {
        match self {
            View::Sessions => "sessions",
            View::Status => "status",
        }
    }
}

pub async fn run(paths: &Paths, d: Display, view: View, json: bool) -> anyhow::Result<u8> {
    let live = !json && std::io::stdout().is_terminal();
    let (changed_tx, mut changed) = mpsc::channel(64);
    let since = AuditQuery {
        since: Some(Utc::now()),
        limit: Some(0),
        ..AuditQuery::default()
    };
    crate::tasks::spawn(audit::follow(paths.audit_file(), since, changed_tx));
    let (mut sigint, mut sigterm) = (
        signal(SignalKind::interrupt())?,
        signal(SignalKind::terminate())?,
    );
    let terminal = live.then(LiveTerminal::enter);
    let mut quit = terminal.as_ref().and_then(LiveTerminal::quit_keys);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut refresh = tokio::time::interval(REFRESH);
    refresh.tick().await;
    let mut answer = fetch(paths, view).await;
    let mut shown: Option<String> = None;
    loop {
        match &terminal {
            Some(t) => t.draw(&frame(view, &answer, &d)),
            None => {
                // Into a pipe there is nobody to show an outage to: it ends the view (exit 3 when the
                // daemon is not running).
                let resp = answer?;
                let key = serde_json::to_string(&resp)?;
                if shown.as_ref() != Some(&key) {
                    snapshot(view, &resp, &d, json)?;
                    shown = Some(key);
                }
                answer = Ok(resp);
            }
        }
        tokio::select! {
            _ = tick.tick(), if live => continue,
            _ = refresh.tick() => {}
            Some(_) = changed.recv() => while changed.try_recv().is_ok() {},
            _ = async { quit.as_mut()?.recv().await }, if quit.is_some() => break,
            _ = sigint.recv() => break,
            _ = sigterm.recv() => break,
        }
        answer = fetch(paths, view).await;
    }
    drop(terminal);
    Ok(exit::OK)
}

/// The daemon's answer, given up after [`ANSWER_WITHIN`] so `q` is never kept waiting long.
async fn fetch(paths: &Paths, view: View) -> anyhow::Result<Response> {
    let (socket, request) = (paths.socket(), view.request());
    match tokio::time::timeout(ANSWER_WITHIN, request_once(&socket, &request)).await {
        Ok(answer) => Ok(answer?),
        Err(_) => anyhow::bail!("the daemon did not answer within {ANSWER_WITHIN:?}"),
    }
}

/// What the terminal shows: a title line with the time, then the view (or why there is none).
fn frame(view: View, answer: &anyhow::Result<Response>, d: &Display) -> String {
    let now = Utc::now();
    let title = d.paint.paint(
        super::color::HEADER,
        &format!("palingenesis {}", view.title()),
    );
    let body = match answer {
        Ok(resp) => text(resp, d).unwrap_or_else(|e| format!("{e}\n")),
        Err(e) => format!("{e:#}\n(retrying every {}s)\n", REFRESH.as_secs()),
    };
    format!("{title} · {} · q to quit\n\n{body}", d.zone.clock(now, now))
}

fn text(resp: &Response, d: &Display) -> anyhow::Result<String> {
    let now = Utc::now();
    match resp {
        Response::Sessions(list) => Ok(d.sessions(list, now)),
        Response::Status(s) => Ok(render::status(s, now, d)),
        Response::Error(e) => anyhow::bail!("{}", e.message),
        other => anyhow::bail!("unexpected answer from the daemon: {other:?}"),
    }
}

/// One snapshot into a pipe or file.
fn snapshot(view: View, resp: &Response, d: &Display, json: bool) -> anyhow::Result<()> {
    if json {
        match resp {
            Response::Sessions(list) => println!("{}", serde_json::to_string(list)?),
            Response::Status(s) => println!("{}", serde_json::to_string(s)?),
            other => println!("{}", serde_json::to_string(other)?),
        }
        return Ok(());
    }
    let now = Utc::now();
    println!("── {} at {}", view.title(), d.zone.full(now));
    print!("{}", text(resp, d)?);
    Ok(())
}

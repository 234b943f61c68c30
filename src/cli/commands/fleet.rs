//! `palingenesis fleet status|sessions`: every `[fleet] hosts` machine side by side, each asked over ssh
//! (`palingenesis status --json` there), all at once.

use serde::Serialize;

use crate::cli::args::FleetCmd;
use crate::cli::display::clock::countdown;
use crate::cli::display::table::{Cell, Table};
use crate::cli::display::{Display, SESSION_TITLES as TITLES};
use crate::cli::{exit, render};
use crate::config::FleetConfig;
use crate::model::session_ref::ShortIds;
use crate::paths::Paths;
use crate::protocol::{SessionList, StatusReport};

/// One host's answer, or why there is none.
#[derive(Serialize)]
struct HostAnswer<T> {
    host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub async fn run(paths: &Paths, cmd: FleetCmd, d: Display) -> anyhow::Result<u8> {
    let config = crate::config::load(&paths.config_file)?;
    if config.fleet.hosts.is_empty() {
        anyhow::bail!(
            "no hosts in [fleet] hosts (e.g. `palingenesis config set fleet.hosts '[\"box1\", \"me@box2\"]'`)"
        );
    }
    match cmd {
        FleetCmd::Status(f) => show(&config.fleet, "status", f.json, d, status_table).await,
        FleetCmd::Sessions(f) => show(&config.fleet, "sessions", f.json, d, sessions_table).await,
    }
}

/// Ask every host for `command`, print the answers (as `table` renders them, or as JSON); exit 1 when a host
/// did not answer.
async fn show<T: serde::de::DeserializeOwned + Serialize>(
    fleet: &FleetConfig,
    command: &str,
    json: bool,
    d: Display,
    table: fn(&[HostAnswer<T>], chrono::DateTime<chrono::Utc>, &Display) -> String,
) -> anyhow::Result<u8> {
    let answers: Vec<HostAnswer<T>> = ask_all(fleet, command).await;
    if json {
        render::json(&answers)?;
    } else {
        print!("{}", table(&answers, chrono::Utc::now(), &d));
    }
    Ok(if answers.iter().all(|a| a.answer.is_some()) {
        exit::OK
    } else {
        exit::FAILURE
    })
}

async fn ask_all<T: serde::de::DeserializeOwned>(
    fleet: &FleetConfig,
    command: &str,
) -> Vec<HostAnswer<T>> {
    let asks = fleet.hosts.iter().map(|host| async move {
        match ask(fleet, host, command).await {
            Ok(answer) => HostAnswer {
                host: host.clone(),
                answer: Some(answer),
                error: None,
            },
            Err(e) => HostAnswer {
                host: host.clone(),
                answer: None,
                error: Some(format!("{e:#}")),
            },
        }
    });
    futures::future::join_all(asks).await
}

/// `palingenesis COMMAND --json` on `host`, parsed.
async fn ask<T: serde::de::DeserializeOwned>(
    fleet: &FleetConfig,
    host: &str,
    command: &str,
) -> anyhow::Result<T> {
    let args = [command.to_string(), "--json".to_string()];
    let cmd = crate::remote::ssh_command(
        fleet,
        host,
        &["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"],
        &args,
    )?;
    let out = tokio::process::Command::from(cmd)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        let said = said.trim().lines().last().unwrap_or("no message");
        anyhow::bail!("exit {}: {said}", out.status.code().unwrap_or(-1));
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn status_table(
    answers: &[HostAnswer<StatusReport>],
    now: chrono::DateTime<chrono::Utc>,
    _: &Display,
) -> String {
    let mut out = format!(
        "{:<24} {:<10} {:<8} {:>8} {:>7} {:<16} {:>6} {:>10}\n",
        "HOST", "MODE", "VERSION", "SESSIONS", "WAITING", "NEXT ACTION", "SAVES", "RECOVERED"
    );
    for a in answers {
        match (&a.answer, &a.error) {
            (Some(s), _) => out.push_str(&format!(
                "{:<24} {:<10} {:<8} {:>8} {:>7} {:<16} {:>6} {:>10}\n",
                a.host,
                match s.mode {
                    crate::protocol::DaemonMode::Monitoring => "monitoring",
                    crate::protocol::DaemonMode::Paused => "PAUSED",
                },
                s.version,
                s.sessions_total,
                s.sessions_waiting,
                s.next_action_at.map_or("-".into(), |at| countdown(at, now)),
                s.saves.total.saves,
                render::duration(s.saves.total.recovered_secs),
            )),
            (None, error) => out.push_str(&format!(
                "{:<24} unreachable: {}\n",
                a.host,
                error.as_deref().unwrap_or("no answer")
            )),
        }
    }
    out
}

fn sessions_table(
    answers: &[HostAnswer<SessionList>],
    now: chrono::DateTime<chrono::Utc>,
    d: &Display,
) -> String {
    let lists = answers.iter().filter_map(|a| a.answer.as_ref());
    let short = ShortIds::new(lists.flat_map(|l| l.sessions.iter().map(|s| &s.key)));
    let mut table = Table::new([&["HOST"][..], &TITLES[..]].concat());
    let mut unreachable = String::new();
    for a in answers {
        match (&a.answer, &a.error) {
            (Some(list), _) => {
                for s in &list.sessions {
                    let mut row = vec![Cell::plain(a.host.as_str())];
                    row.extend(d.session_cells(s, &short, now));
                    table.push(row);
                }
            }
            (None, error) => unreachable.push_str(&format!(
                "{}: unreachable: {}\n",
                a.host,
                error.as_deref().unwrap_or("no answer")
            )),
        }
    }
    table.render(&d.paint) + &unreachable
}

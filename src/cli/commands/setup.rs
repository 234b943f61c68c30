//! `palingenesis setup`: first-run set-up. Finds the assistants installed here (binary on PATH or configured,
//! version against the tested range), then offers, one step at a time, each one's hooks, the MCP server in each,
//! the user service and a notification channel. Each step goes through the installer its own command uses
//! (`hooks install`, `mcp install`, `service install`, `config set`); a step already done is reported as such
//! and left alone, so a second run only says what is set up.
//!
//! `--json`: `{"ok", "dry_run", "assistants": [{"assistant", "found", "binary"?, "version"?, "tested"?,
//! "in_tested_range"?, "detail"}], "steps": [{"step": "hooks|mcp|service|notify", "assistant"?, "file"?,
//! "outcome": "done|already|skipped|would_do|failed", "detail"}]}`. Exit 1 when a step failed.

mod ask;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use crate::adapter::{Adapter, Installed};
use crate::cli::args::SetupArgs;
use crate::cli::{exit, render};
use crate::config::{self, Config};
use crate::model::Assistant;
use crate::paths::Paths;

use super::doctor::Level;
use super::doctor::assistant as found;
use super::installers;
use ask::{Asker, Choice, Decision};

/// One assistant as found.
#[derive(Serialize, Debug)]
struct Detected {
    assistant: Assistant,
    found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    binary: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tested: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_tested_range: Option<bool>,
    detail: String,
}

#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Done,
    Already,
    Skipped,
    WouldDo,
    Failed,
}

#[derive(Serialize, Debug)]
struct Step {
    step: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    assistant: Option<Assistant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<PathBuf>,
    outcome: Outcome,
    detail: String,
}

pub fn run(paths: &Paths, args: SetupArgs) -> anyhow::Result<u8> {
    let hooks_list = ask::parse_list("hooks", args.hooks.as_deref())?;
    let mcp_list = ask::parse_list("mcp", args.mcp.as_deref())?;
    let config = match config::load(&paths.config_file) {
        Ok(c) => c,
        Err(e) => anyhow::bail!("{e}\nfix the config first (`palingenesis config validate`)"),
    };
    let exe = installers::exe()?;
    let detected = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(detect(&config));
    if !args.json {
        for d in &detected {
            println!("{:<9} {}", d.assistant.as_str(), d.detail);
        }
    }
    let asker = Asker {
        interactive: !args.json
            && std::io::stdin().is_terminal()
            && std::io::stdout().is_terminal(),
        dry_run: args.dry_run,
    };
    let mut run = Run {
        asker,
        dry_run: args.dry_run,
        json: args.json,
        steps: Vec::new(),
    };
    let is_found = |a: Assistant| detected.iter().any(|d| d.assistant == a && d.found);
    let kinds: [(
        &'static str,
        &Option<Vec<Assistant>>,
        installers::StatusOf,
        &str,
    ); 2] = [
        (
            "hooks",
            &hooks_list,
            installers::hooks_status,
            "Install hooks for",
        ),
        (
            "mcp",
            &mcp_list,
            installers::mcp_status,
            "Register the palingenesis MCP server with",
        ),
    ];
    for (what, list, status_of, question) in kinds {
        for adapter in crate::assistants::all() {
            let a = adapter.assistant();
            let named = list.as_ref().is_some_and(|l| l.contains(&a));
            if let Some(status) = status_of(*adapter, &exe)
                && (is_found(a) || named)
            {
                let choice = ask::from_list(list.as_deref(), args.yes, a);
                run.installer(what, status, choice, &format!("{question} {a}?"))?;
            }
        }
        for a in list.iter().flatten() {
            if !run
                .steps
                .iter()
                .any(|s| s.step == what && s.assistant == Some(*a))
            {
                let d = format!("{a} has no {what} palingenesis can install");
                run.push(what, Some(*a), None, Outcome::Failed, d);
            }
        }
    }
    let service_choice = match (args.service, args.no_service, args.yes) {
        (true, _, _) => Choice::Yes,
        (_, true, _) => Choice::No,
        (_, _, true) => Choice::Yes,
        _ => Choice::Ask,
    };
    run.service(paths, &exe, service_choice)?;
    run.notify(paths, &config, args.notify.as_deref())?;
    let ok = run.steps.iter().all(|s| s.outcome != Outcome::Failed);
    if args.json {
        render::json(&serde_json::json!({
            "ok": ok,
            "dry_run": args.dry_run,
            "assistants": detected,
            "steps": run.steps,
        }))?;
    } else if run.steps.iter().all(|s| s.outcome == Outcome::Already) {
        println!("everything is already set up");
    }
    Ok(if ok { exit::OK } else { exit::FAILURE })
}

/// Every assistant: found or not, and its version against the tested range (asked of all at once).
async fn detect(config: &Config) -> Vec<Detected> {
    let all = crate::assistants::all()
        .iter()
        .map(|a| detect_one(*a, config));
    futures::future::join_all(all).await
}

async fn detect_one(adapter: &dyn Adapter, config: &Config) -> Detected {
    let f = found::find(adapter, config);
    let tested = adapter.tested_versions().map(|r| r.to_string());
    let binary = match f.binary {
        Ok(b) => b,
        Err(why) => {
            return Detected {
                assistant: adapter.assistant(),
                found: false,
                binary: None,
                tested,
                in_tested_range: None,
                detail: format!("not found (`{}`: {why})", f.wanted),
            };
        }
    };
    let (level, version) = found::version_check(adapter, &binary).await;
    let in_range = match level {
        Level::Ok => tested.as_ref().map(|_| true),
        _ if version.contains("outside the tested range") => Some(false),
        _ => None,
    };
    Detected {
        assistant: adapter.assistant(),
        found: true,
        detail: format!("found {} ({version})", binary.display()),
        binary: Some(binary),
        tested,
        in_tested_range: in_range,
    }
}

/// The steps taken so far, and how to decide the next one.
struct Run {
    asker: Asker,
    dry_run: bool,
    json: bool,
    steps: Vec<Step>,
}

impl Run {
    fn push(
        &mut self,
        step: &'static str,
        assistant: Option<Assistant>,
        file: Option<PathBuf>,
        outcome: Outcome,
        detail: String,
    ) {
        if !self.json {
            let name = match assistant {
                Some(a) => format!("{step} {a}"),
                None => step.to_string(),
            };
            let label = match outcome {
                Outcome::Done => "done",
                Outcome::Already => "already set up",
                Outcome::Skipped => "skipped",
                Outcome::WouldDo => "would do",
                Outcome::Failed => "FAILED",
            };
            println!("{name:<16} {label}: {detail}");
        }
        self.steps.push(Step {
            step,
            assistant,
            file,
            outcome,
            detail,
        });
    }

    /// A hooks or MCP step: already installed, or decided, then done through the same installer.
    fn installer(
        &mut self,
        what: &'static str,
        s: installers::Status,
        choice: Choice,
        question: &str,
    ) -> anyhow::Result<()> {
        let a = s.assistant;
        let file = Some(s.file.clone());
        match s.installed {
            Some(Installed::Yes) => {
                self.push(what, Some(a), file, Outcome::Already, s.describe());
                return Ok(());
            }
            None => {
                self.push(what, Some(a), file, Outcome::Failed, s.describe());
                return Ok(());
            }
            Some(_) => {}
        }
        match self.asker.decide(choice, question)? {
            Decision::Skip(why) => self.push(what, Some(a), file, Outcome::Skipped, why),
            Decision::WouldAsk => self.push(
                what,
                Some(a),
                file,
                Outcome::WouldDo,
                format!("would ask: {question}"),
            ),
            Decision::Go if self.dry_run => {
                let d = format!("would install in {}", s.file.display());
                self.push(what, Some(a), file, Outcome::WouldDo, d)
            }
            Decision::Go => {
                let change = match what {
                    "hooks" => installers::change_hooks(a, true),
                    _ => installers::change_mcp(a, true),
                };
                match change {
                    Ok(c) => {
                        let d = format!("installed in {}", c.file.display());
                        self.push(what, Some(a), file, Outcome::Done, d)
                    }
                    Err(e) => self.push(what, Some(a), file, Outcome::Failed, format!("{e:#}")),
                }
            }
        }
        Ok(())
    }

    fn service(
        &mut self,
        paths: &Paths,
        exe: &std::path::Path,
        choice: Choice,
    ) -> anyhow::Result<()> {
        let Ok(kind) = super::service::kind() else {
            let d = "no supported service manager (systemd or launchd) here".to_string();
            self.push("service", None, None, Outcome::Skipped, d);
            return Ok(());
        };
        let s = super::service::status(kind, exe, paths);
        let file = Some(s.file.clone());
        if s.installed == Installed::Yes {
            let d = format!("installed at {}", s.file.display());
            self.push("service", None, file, Outcome::Already, d);
            return Ok(());
        }
        let question = format!("Install the {kind} user service?");
        match self.asker.decide(choice, &question)? {
            Decision::Skip(why) => self.push("service", None, file, Outcome::Skipped, why),
            Decision::WouldAsk => self.push(
                "service",
                None,
                file,
                Outcome::WouldDo,
                format!("would ask: {question}"),
            ),
            Decision::Go if self.dry_run => {
                let d = format!("would write {}", s.file.display());
                self.push("service", None, file, Outcome::WouldDo, d)
            }
            Decision::Go => match super::service::install(kind, exe, paths) {
                Ok(done) => {
                    let d = format!("wrote {}; next: {}", done.file.display(), done.next);
                    self.push("service", None, file, Outcome::Done, d)
                }
                Err(e) => self.push("service", None, file, Outcome::Failed, format!("{e:#}")),
            },
        }
        Ok(())
    }

    /// A notification channel: `--notify URL`, else asked for on a terminal; a configured one is kept.
    fn notify(
        &mut self,
        paths: &Paths,
        config: &Config,
        given: Option<&str>,
    ) -> anyhow::Result<()> {
        let file = Some(paths.config_file.clone());
        let configured: Vec<&str> = crate::notify::channels(config)
            .iter()
            .map(|c| c.name())
            .collect();
        let url = match given {
            Some(url) => url.trim().to_string(),
            None if !configured.is_empty() => {
                let d = format!("notifications go to {}", configured.join(", "));
                self.push("notify", None, file, Outcome::Already, d);
                return Ok(());
            }
            None => {
                let q = "Notification URL (an ntfy topic URL, or a webhook URL; empty to skip): ";
                match self.asker.text(q)? {
                    Some(url) if !url.is_empty() => url,
                    Some(_) => {
                        self.push(
                            "notify",
                            None,
                            file,
                            Outcome::Skipped,
                            "no URL given".into(),
                        );
                        return Ok(());
                    }
                    None => {
                        let d = "no channel configured; pass --notify URL".to_string();
                        self.push("notify", None, file, Outcome::Skipped, d);
                        return Ok(());
                    }
                }
            }
        };
        let key = notify_key(&url);
        let current = match key {
            "notifications.ntfy_url" => config.notifications.ntfy_url.as_ref(),
            _ => config.notifications.webhook_url.as_ref(),
        };
        if current.is_some_and(|c| c.expose() == url) {
            self.push(
                "notify",
                None,
                file,
                Outcome::Already,
                format!("{key} is set to it"),
            );
            return Ok(());
        }
        if self.dry_run {
            self.push(
                "notify",
                None,
                file,
                Outcome::WouldDo,
                format!("would set {key}"),
            );
            return Ok(());
        }
        let path = &paths.config_file;
        let text = std::fs::read_to_string(path).ok();
        match config::set_key(text.as_deref(), path, key, &url) {
            Ok(text) => {
                super::config::write_private(path, &text)?;
                // The URL may hold a token: it is not echoed.
                let d = format!("set {key} in {}", path.display());
                self.push("notify", None, file, Outcome::Done, d);
            }
            Err(e) => self.push("notify", None, file, Outcome::Failed, e.to_string()),
        }
        Ok(())
    }
}

/// The key a notification URL goes to: ntfy when its host says so, else a plain webhook.
fn notify_key(url: &str) -> &'static str {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    match host.contains("ntfy") {
        true => "notifications.ntfy_url",
        false => "notifications.webhook_url",
    }
}

//! `palingenesis setup`: first-run set-up. Finds the assistants installed here (binary on PATH or configured,
//! version against the tested range), then offers, one step at a time, each one's hooks, the MCP server in each,
//! the user service and a notification channel. Each step goes through the installer its own command uses
//! (`hooks install`, `mcp install`, `service install`, `config set`); a step already done is reported as such
//! and left alone, so a second run only says what is set up.
//!
//! `--json`: `{"ok", "dry_run", "assistants": [{"assistant", "found", "binary"?, "tested"?,
//! "in_tested_range"?, "detail"}], "steps": [{"step": "hooks|mcp|service|notify", "assistant"?, "file"?,
//! "outcome": "done|already|skipped|would_do|failed", "detail"}]}`. Exit 1 when a step failed.

mod ask;
mod detect;
mod notify;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use crate::adapter::Installed;
use crate::cli::args::SetupArgs;
use crate::cli::{exit, render};
use crate::config;
use crate::model::Assistant;
use crate::paths::Paths;

use super::installers;
use ask::{Asker, Choice, Decision};
use detect::detect;

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
}

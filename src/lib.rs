//! # palingenesis: theory of operation
//!
//! palingenesis keeps AI coding agents working. It watches every session of every assistant it knows on the
//! machine, notices when one stops, decides whether and when to resume it, resumes it, checks that the resume
//! worked, and records every step.
//!
//! ```text
//!  assistants/<name>  (one folder per assistant, listed by the registry in assistants/mod.rs)
//!    source ──SourceEvent──►  engine (one task, owns all state)  ──► resumer / terminal delivery
//!    hooks  ──Request::Hook──►   observe → classify → decide        (headless CLI, server API,
//!                                deadlines (timers), attempts         PTY wrapper, tmux)
//!  control surfaces ──Request──► same engine ──Response──►
//!    (CLI socket, HTTP, MCP)         └──► audit trail (JSONL) ──► notifications, metrics, SSE, followers
//! ```
//!
//! Dependencies point one way (checked by `tests/architecture.rs`): `model` at the bottom; the core below
//! the assistants; each assistant's folder on top of the core; the daemon and CLI on top of everything.
//!
//! The vocabulary and small shared pieces:
//! - [`model`]: assistants (by name), sessions, [`model::StopReason`], signals, observations, source events.
//! - [`paths`], [`procfs`] (what `/proc` says about processes), [`timers`] (deadlines, no polling), [`tz`]
//!   (time zones from the system's database).
//!
//! Pure logic:
//! - [`formats`]: what every assistant's record parser shares ([`formats::ParsedRecord`]).
//! - [`classify`]: the stop patterns all assistants share and reset-time parsing.
//! - [`decide`]: the resume policy: given a stop, the session's history and config, what to do and when (and
//!   [`decide::fallback`]: whether a limit that resets far away hands the work to another assistant).
//! - [`nextstep`]: reading `Next-step.md` and workflow frontmatter for a new session's prompt, and when to ask an
//!   agent for an early checkpoint before its context fills or its quota runs out ([`nextstep::early`]).
//!
//! The assistants:
//! - [`adapter`]: the one trait through which the core reaches an assistant (its processes, screen, records,
//!   hooks, config section, sources and resumer).
//! - [`assistants`]: one folder per assistant implementing it, and the registry that lists them.
//!
//! Machinery the assistants build on:
//! - [`sources`]: following JSONL files incrementally with bounded memory ([`sources::watch`],
//!   [`sources::tail`], [`sources::feed`]).
//! - [`resume`]: the [`resume::Resumer`] trait, running a headless agent command, and the permission-bypass
//!   guard.
//! - [`interactive`]: reaching an agent still alive in its terminal (probe, tmux pane, screen rules, safe
//!   typing); [`wrapper`]: `palingenesis run`, the PTY wrapper that makes such an agent reachable.
//! - [`backup`]: copies of a session's transcript before a new session replaces it.
//!
//! The daemon:
//! - [`engine`]: the one task that owns every session, applies observations, keeps deadlines and runs attempts.
//!   Each session's state machine is one pure function, [`engine::step::step`] (state, input, now, policy →
//!   state, effects); the engine's shell carries out the effects (timers, audit, attempts), and an attempt
//!   chooses its resumer (headless, or [`interactive::TerminalResumer`] for a live terminal) from one probe.
//!   Sessions quiet for `[daemon] park_after_secs` are parked on disk and brought back when concerned again.
//! - [`wiring`]: asks each assistant's adapter what to run under the config.
//! - [`audit`] (append-only JSONL trail, queries, live follow), [`store`] (atomic state file), [`journal`]
//!   (stops and attempts durable before they are acknowledged; reconciled after kill -9), [`config`]
//!   (TOML with env overrides and located errors), [`logging`].
//! - [`protocol`] (the one Request/Response type), [`ipc`] (Unix socket transport), [`http`] (the same over
//!   HTTP, SSE, Prometheus metrics and the web dashboard), [`mcp`] (the same as MCP tools), [`notify`] (webhook, ntfy, Slack,
//!   Discord, Telegram), [`chat`] (commands from Telegram, Slack and Discord, through the same protocol).
//! - [`otel`] (OpenTelemetry over OTLP/HTTP: one trace per stop, logs, a counter, from the audit stream),
//!   [`saves`] (what the user got out of it: saves and agent time recovered, a pure fold over the audit trail).
//! - [`remote`]: `--host` and `fleet`: the same CLI on another machine, over the system `ssh`.
//! - [`hookspool`]: hook payloads written to disk before they are sent, so a hook killed on its way loses
//!   nothing; the daemon takes each exactly once.
//! - [`surface`]: what every control surface (socket, HTTP, chat) asks: the engine plus the saves figures.
//! - [`daemon`]: wires it all up; [`daemon::run`] takes an injected listener and shutdown token.
//! - [`clock`]: the injected wall clock ([`clock::WallClock`]), time arithmetic that cannot panic, and sanity
//!   for instants from outside (docs/robustness.md).
//! - [`memory`]: handing freed heap pages and unused code pages back to the system once start-up or a burst
//!   is over (the daemon's resident size).
//! - [`tasks`]: every task is spawned through it, type-erased, so tokio's task glue is built once per output
//!   type, not once per spawn site (the executable's size).
//! - [`service`] (systemd/launchd units) and [`cli`] (the command-line front end, one file per command).

pub mod adapter;
pub mod assistants;
pub mod audit;
pub mod backup;
pub mod chat;
pub mod classify;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod decide;
pub mod engine;
pub mod formats;
pub mod hookspool;
pub mod http;
pub mod interactive;
pub mod ipc;
pub mod journal;
pub mod logging;
pub mod mcp;
pub mod memory;
pub mod model;
pub mod nextstep;
pub mod notify;
pub mod otel;
pub mod paths;
pub mod procfs;
pub mod protocol;
pub mod remote;
pub mod resume;
pub mod saves;
pub mod service;
pub mod sources;
pub mod store;
pub mod surface;
pub mod tasks;
pub mod timers;
pub mod tz;
pub mod wiring;
pub mod wrapper;

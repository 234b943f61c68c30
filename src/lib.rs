//! # palingenesis: theory of operation
//!
//! palingenesis keeps AI coding agents working. It watches every session of Claude Code, Codex CLI and
//! opencode on the machine, notices when one stops, decides whether and when to resume it, resumes it,
//! checks that the resume worked, and records every step.
//!
//! ```text
//! sources ──Observation──► engine (one task, owns all state) ──► resumers
//!   transcripts, rollouts,      tracker: per-session state machine      headless CLI, opencode API,
//!   hooks, opencode events      decide: pure policy (when, how)         PTY wrapper, tmux
//!                               scheduler: deadlines, no polling
//! control surfaces ──Request──► same engine ──Response──►
//!                                   └──► Event bus ──► audit trail (JSONL), live followers
//! ```
//!
//! - [`model`]: the shared vocabulary (assistants, sessions, [`model::StopReason`], observations).
//! - [`formats`]: pure parsers for each assistant's files and payloads, yielding [`model::Signal`]s.
//! - [`classify`]: pure classification of stop evidence and reset-time parsing.
//! - [`decide`]: pure resume policy: given a stop, the session's history and config, what to do and when.
//! - [`engine`]: the one task that owns state, applies observations, runs deadlines and resumes.
//! - [`sources`]: workers that tail files, receive hooks and follow APIs, feeding observations in.
//! - [`resume`]: one resumer per way of reaching a session.
//! - [`protocol`] + [`ipc`]: the one Request/Response protocol and its Unix-socket transport; [`http`] serves
//!   the same protocol over HTTP (bearer token), live events over SSE, and Prometheus metrics.
//! - [`mcp`]: the same protocol as MCP tools over stdio (`palingenesis mcp`).
//! - [`interactive`] + [`wrapper`]: reaching live interactive agents (PTY wrapper, tmux panes) safely.
//! - [`notify`]: subscribes to the audit stream and tells people (webhook, ntfy, Slack, Discord, Telegram).
//! - [`wiring`]: which sources and resumers run, from the config and what is installed.
//! - [`interactive`]: agents still alive at their prompt are resumed where they live (PTY wrapper, tmux pane).
//! - [`wrapper`]: `palingenesis run`, the PTY wrapper that makes an interactive agent reachable.
//! - [`protocol`] + [`ipc`]: the one Request/Response protocol and its Unix-socket transport.
//! - [`daemon`]: wires it all up; [`daemon::run`] takes an injected listener and shutdown token.
//! - [`audit`], [`store`], [`config`], [`paths`]: durable files and settings.
//! - [`clock`]: time arithmetic that cannot panic, and sanity for instants from outside (docs/robustness.md).
//! - [`cli`]: the command-line front end, one file per command.

pub mod audit;
pub mod backup;
pub mod classify;
pub mod claude_hooks;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod decide;
pub mod engine;
pub mod formats;
pub mod http;
pub mod interactive;
pub mod ipc;
pub mod logging;
pub mod mcp;
pub mod model;
pub mod nextstep;
pub mod notify;
pub mod paths;
pub mod process;
pub mod protocol;
pub mod resume;
pub mod service;
pub mod sources;
pub mod store;
pub mod wiring;
pub mod wrapper;

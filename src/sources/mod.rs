//! Workers that follow what the assistants write and feed it into the engine.
//!
//! The JSONL-following layer is generic and knows no file format:
//! - [`tail`]: [`tail::JsonlTail`] reads only the bytes appended to one file since the last read and
//!   returns complete lines, with bounded memory and truncation/replacement detection (blocking code).
//! - [`watch`]: [`watch::spawn_jsonl_watcher`] follows every matching file below a root (Claude Code's
//!   `~/.claude/projects`, Codex's `~/.codex/sessions`) with `notify`, reading a file only when it changed,
//!   and sends [`watch::FileLines`] batches down a channel. An idle watcher sleeps.
//!
//! Format-specific sources sit on top: they pick the root and the file filter, parse the lines and turn
//! them into observations, and persist each file's `offset_after` to resume after a restart ([`feed`] holds
//! what they share):
//! - `claude`: Claude Code transcripts, one line at a time.
//! - `codex`: Codex rollouts, one parser state per file, plus crash detection: a turn left open by a
//!   process that no longer writes the file.
//!
//! `opencode` keeps no files to tail: it follows a live server's event stream (supervising
//! `opencode serve` when asked) and watches its SQLite store.

pub mod feed;
pub mod tail;
pub mod watch;

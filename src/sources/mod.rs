//! Workers that follow what the assistants write and feed it into the engine.
//!
//! The JSONL-following layer is generic and knows no file format:
//! - [`tail`]: [`tail::JsonlTail`] reads only the bytes appended to one file since the last read and
//!   returns complete lines, with bounded memory and truncation/replacement detection (blocking code).
//! - [`watch`]: [`watch::spawn_jsonl_watcher`] follows every matching file below a root (an assistant's
//!   transcript tree) with `notify`, reading a file only when it changed,
//!   and sends [`watch::FileLines`] batches down a channel. An idle watcher sleeps.
//!
//! Each assistant's own source (in its folder under `crate::assistants`) sits on top: it picks the root and
//! the file filter, parses the lines and turns them into observations, and persists each file's
//! `offset_after` to resume after a restart ([`feed`] holds what they share; [`jsonl`] is the whole source for
//! assistants that append each session to its own JSONL file). Sources that keep no files to
//! tail (a live server's event stream, a database) send the same [`crate::model::SourceEvent`]s.

pub mod canonical;
pub mod feed;
pub mod garbage;
pub mod jsonl;
pub mod tail;
pub mod watch;

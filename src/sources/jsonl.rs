//! A source for assistants that append each session to its own JSONL file: follow the files, parse each new
//! line with the assistant's pure parser, and hand the engine one observation per signal. Garbage lines are
//! skipped and counted. Each such assistant's `source.rs` only names its format.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::Utc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

use super::feed::{FeedSettings, forward, watch_spec};
use super::watch::{FileLines, spawn_jsonl_watcher_ready};
use crate::formats::{FormatError, ParsedRecord};
use crate::model::{Assistant, Locator, Observation, Origin, SessionKey, Signal, SourceTx};

/// How one assistant's session files read.
#[derive(Clone, Copy)]
pub struct JsonlFormat {
    pub assistant: Assistant,
    /// The name its unusable lines are counted under (`health`, metrics).
    pub garbage_source: super::garbage::Source,
    /// Which files below the root are its session files.
    pub accept: fn(&Path) -> bool,
    /// The session a file belongs to, when its path says so (else each line's own session id).
    pub session_of: fn(&Path) -> Option<String>,
    /// One line → what it says (pure).
    pub parse: fn(&str, crate::tz::Tz) -> Result<ParsedRecord, FormatError>,
    /// For formats whose lines carry neither: the session and work dir of a file, read once per file from
    /// its header or its folder (it may block: it runs off the async workers).
    pub file_context: Option<fn(&Path) -> FileContext>,
}

/// What a file's lines do not say about themselves (see [`JsonlFormat::file_context`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileContext {
    pub session: Option<String>,
    pub cwd: Option<PathBuf>,
}

/// Files whose context is remembered at most; beyond it the memory starts over (each file is then read
/// once more), so it follows activity rather than history.
const CONTEXTS_KEPT: usize = 4096;

/// Where to follow, and what to feed.
pub struct JsonlRun {
    pub root: PathBuf,
    pub offsets: HashMap<PathBuf, u64>,
    pub feed: FeedSettings,
    pub engine: SourceTx,
    pub stop: CancellationToken,
    pub ready: tokio::sync::oneshot::Sender<()>,
}

/// Follow `format`'s files below `run.root` and feed their observations to the engine.
pub fn spawn(format: JsonlFormat, run: JsonlRun, tracker: &TaskTracker) {
    let (tx, mut rx) = mpsc::channel::<FileLines>(256);
    let spec = watch_spec(run.root, format.accept, run.feed);
    let watcher = spawn_jsonl_watcher_ready(spec, run.offsets, tx, run.stop, run.ready);
    let engine = run.engine;
    crate::tasks::spawn_tracked(tracker, async move {
        let tz = crate::classify::env_tz();
        let mut garbage: u64 = 0;
        let mut contexts: HashMap<PathBuf, FileContext> = HashMap::new();
        while let Some(batch) = rx.recv().await {
            let context = file_context(&format, &batch.path, &mut contexts).await;
            if !forward(
                &engine,
                observations(&format, &batch, &context, tz, &mut garbage),
                &batch,
            )
            .await
            {
                return;
            }
        }
        let _ = watcher.await;
    });
}

/// The context of the file at `path` (remembered in `kept`), read off the async workers.
async fn file_context(
    format: &JsonlFormat,
    path: &Path,
    kept: &mut HashMap<PathBuf, FileContext>,
) -> FileContext {
    let Some(read) = format.file_context else {
        return FileContext::default();
    };
    if let Some(known) = kept.get(path).filter(|c| c.session.is_some()) {
        return known.clone();
    }
    let owned = path.to_path_buf();
    let context = crate::tasks::spawn_blocking(move || read(&owned))
        .await
        .unwrap_or_default();
    if kept.len() >= CONTEXTS_KEPT {
        kept.clear();
    }
    kept.insert(path.to_path_buf(), context.clone());
    context
}

/// The observations in one batch of new lines, with what the file's lines do not say themselves. Lines that
/// do not parse are counted in `garbage`.
pub fn observations(
    format: &JsonlFormat,
    batch: &FileLines,
    context: &FileContext,
    tz: crate::tz::Tz,
    garbage: &mut u64,
) -> Vec<Observation> {
    let file_session = (format.session_of)(&batch.path).or_else(|| context.session.clone());
    if batch.skipped_oversize > 0 {
        warn!(path = %batch.path.display(), skipped = batch.skipped_oversize, "oversized session lines skipped");
    }
    let mut out = Vec::new();
    // A new file announces its session at its first line, while the agent is surely still running (the
    // engine then learns how to reach it), not only at its first signal.
    let mut announce = batch.from_start;
    use super::garbage::{count, torn_tail};
    count(
        format.garbage_source,
        (batch.skipped_oversize + batch.invalid_utf8) as u64,
    );
    for line in &batch.lines {
        // A line torn by a writer that died, followed by the next writer's whole record: keep the record.
        let parsed = (format.parse)(line, tz).or_else(|e| {
            count(format.garbage_source, 1);
            torn_tail(line).ok_or(e).and_then(|t| (format.parse)(t, tz))
        });
        let mut record = match parsed {
            Ok(r) => r,
            Err(e) => {
                *garbage += 1;
                debug!(path = %batch.path.display(), error = %e, total = *garbage, "unparseable session line skipped");
                continue;
            }
        };
        if record.cwd.is_none() {
            record.cwd = context.cwd.clone();
        }
        // How full the context is and how much quota is spent ride beside the line's own signal (never on
        // history read at start).
        let mut beside = if batch.catch_up {
            Vec::new()
        } else {
            record.usage_signals()
        };
        let signal = match record.signal.take() {
            Some(signal) => signal,
            None if announce && record.cwd.is_some() => Signal::Started { resumed: false },
            None if !beside.is_empty() => beside.remove(0),
            None => continue,
        };
        announce = false;
        let Some(id) = file_session.clone().or(record.session_id) else {
            continue;
        };
        if batch.catch_up {
            // History from before the daemon started: only a stop at its very end is news.
            out.clear();
            if !matches!(signal, Signal::Stopped { .. }) {
                continue;
            }
        }
        let obs = Observation {
            session: SessionKey::new(format.assistant, id),
            at: record.at.unwrap_or_else(Utc::now),
            signal,
            origin: if batch.catch_up {
                Origin::CatchUp
            } else {
                Origin::Transcript
            },
            locator: Locator {
                cwd: record.cwd,
                transcript: Some(batch.path.clone()),
                ..Default::default()
            },
        };
        let beside: Vec<Observation> = beside
            .into_iter()
            .map(|signal| Observation {
                signal,
                ..obs.clone()
            })
            .collect();
        out.push(obs);
        out.extend(beside);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str, _tz: crate::tz::Tz) -> Result<ParsedRecord, FormatError> {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let usage = v["usage"] == true;
        Ok(ParsedRecord {
            signal: (v["done"] == true).then_some(Signal::Progress),
            context_use: usage.then_some(crate::model::ContextUse {
                used_tokens: 10,
                window_tokens: Some(100),
            }),
            quota_use: usage.then_some(crate::model::QuotaUse {
                percent: 92,
                window: crate::model::UsageWindow::Weekly,
                resets_at: None,
            }),
            ..ParsedRecord::default()
        })
    }

    const FORMAT: JsonlFormat = JsonlFormat {
        assistant: Assistant::named("test"),
        garbage_source: "test",
        accept: |_| true,
        session_of: |_| None,
        parse,
        file_context: None,
    };

    fn batch(lines: &[&str]) -> FileLines {
        FileLines {
            path: PathBuf::from("/h/chats/session-1.jsonl"),
            lines: lines.iter().map(|l| l.to_string()).collect(),
            offset_after: 0,
            from_start: true,
            skipped_oversize: 0,
            invalid_utf8: 0,
            writer_closed: false,
            catch_up: false,
        }
    }

    #[test]
    fn a_file_context_names_the_session_and_cwd_its_lines_do_not() {
        let context = FileContext {
            session: Some("s1".into()),
            cwd: Some(PathBuf::from("/work")),
        };
        let mut garbage = 0;
        let out = observations(
            &FORMAT,
            &batch(&["{}", r#"{"done":true}"#]),
            &context,
            crate::tz::Tz::UTC,
            &mut garbage,
        );
        assert_eq!(out.len(), 2, "announced, then the signal: {out:?}");
        assert_eq!(out[0].signal, Signal::Started { resumed: false });
        assert!(out.iter().all(|o| o.session.id == "s1"));
        assert_eq!(out[1].locator.cwd.as_deref(), Some(Path::new("/work")));

        let none = observations(
            &FORMAT,
            &batch(&[r#"{"done":true}"#]),
            &FileContext::default(),
            crate::tz::Tz::UTC,
            &mut garbage,
        );
        assert!(none.is_empty(), "no session, nothing to say: {none:?}");
    }

    #[test]
    fn context_and_quota_use_ride_beside_the_signal_but_not_on_history() {
        let context = FileContext {
            session: Some("s1".into()),
            cwd: Some(PathBuf::from("/work")),
        };
        let kinds = |b: &FileLines| -> Vec<&'static str> {
            observations(&FORMAT, b, &context, crate::tz::Tz::UTC, &mut 0)
                .iter()
                .map(|o| match o.signal {
                    Signal::Started { .. } => "started",
                    Signal::Progress => "progress",
                    Signal::ContextUse(_) => "context",
                    Signal::QuotaUse(_) => "quota",
                    _ => "other",
                })
                .collect()
        };
        let lines = [
            r#"{"done":true}"#,
            r#"{"done":true,"usage":true}"#,
            r#"{"usage":true}"#,
        ];
        assert_eq!(
            kinds(&batch(&lines)),
            [
                "progress", "progress", "context", "quota", "context", "quota"
            ]
        );
        let mut history = batch(&lines);
        history.catch_up = true;
        assert!(
            kinds(&history).is_empty(),
            "history before the start is not news"
        );
    }
}

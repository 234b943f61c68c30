//! Catching up on a rollout that is followed from somewhere other than its start (its end at cold start, a
//! persisted offset): its first line (`session_meta`: the session id and cwd) and its last stretch (whether
//! the last turn is still open, a usage window at 100%) are read once, without emitting anything.
//! Blocking code: run it in `spawn_blocking`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::tz::Tz;
use chrono::{DateTime, Utc};

use crate::assistants::codex::records::CodexRolloutState;

/// How much of a rollout's end is read to learn the state of its last turn. A turn that wrote more than
/// this since it started is taken as closed (its crash goes unnoticed until it writes again).
pub const PRIME_TAIL_BYTES: u64 = 2 * 1024 * 1024;

/// The end read first; it grows fourfold (up to [`PRIME_TAIL_BYTES`]) until it holds a turn's start or end.
const PRIME_FIRST_WINDOW: u64 = 64 * 1024;

/// Whether `bytes` hold a line that starts or ends a turn (what decides whether the last one is open).
fn has_turn_marker(bytes: &[u8]) -> bool {
    const MARKERS: [&[u8]; 3] = [
        b"\"task_started\"",
        b"\"task_complete\"",
        b"\"turn_aborted\"",
    ];
    MARKERS
        .iter()
        .any(|marker| bytes.windows(marker.len()).any(|w| w == *marker))
}

/// What reading a rollout's first line and last stretch taught.
#[derive(Debug, Clone)]
pub struct Primed {
    pub state: CodexRolloutState,
    /// The timestamp of the last line read.
    pub last_at: Option<DateTime<Utc>>,
    /// The file's length when read.
    pub len: u64,
}

/// Read `path`'s first line and its last stretch into a fresh state: as little of the end as holds the
/// last turn's start or end, at most [`PRIME_TAIL_BYTES`]. Lines longer than
/// `max_line_bytes` and lines that do not parse are skipped; an incomplete last line is left for the
/// tailer.
pub fn prime(path: &Path, tz: Tz, max_line_bytes: usize) -> io::Result<Primed> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut primed = Primed {
        state: CodexRolloutState::new(tz),
        last_at: None,
        len,
    };
    let mut first = Vec::new();
    BufReader::new(&mut file)
        .take(max_line_bytes as u64 + 1)
        .read_until(b'\n', &mut first)?;
    // A first line with no end in reach is still being written, or too long to keep.
    let first_complete = first.last() == Some(&b'\n');
    let first_end = if first_complete {
        feed(&mut primed, &first[..first.len() - 1]);
        first.len() as u64
    } else {
        0
    };
    let mut window = PRIME_FIRST_WINDOW;
    let (start, tail) = loop {
        let start = first_end.max(len.saturating_sub(window));
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::new();
        (&mut file).take(len - start).read_to_end(&mut tail)?;
        if start == first_end || window >= PRIME_TAIL_BYTES || has_turn_marker(&tail) {
            break (start, tail);
        }
        window = (window * 4).min(PRIME_TAIL_BYTES);
    };
    let mut rest = tail.as_slice();
    if !(first_complete && start == first_end) {
        // The stretch starts inside a line: skip to the next one.
        let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
            return Ok(primed);
        };
        rest = &rest[nl + 1..];
    }
    while let Some(nl) = rest.iter().position(|b| *b == b'\n') {
        if nl <= max_line_bytes {
            feed(&mut primed, &rest[..nl]);
        }
        rest = &rest[nl + 1..];
    }
    Ok(primed)
}

fn feed(primed: &mut Primed, line: &[u8]) {
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    let text = text.trim_end_matches('\r');
    if text.trim().is_empty() {
        return;
    }
    if let Ok(rec) = primed.state.feed(text) {
        primed.last_at = rec.at.or(primed.last_at);
    }
}

/// The rollouts below `root` (as `accept` picks them) modified within `freshness`: the ones whose last
/// turn may have been cut short recently enough to matter.
pub fn recent_rollouts(
    root: &Path,
    accept: fn(&Path) -> bool,
    freshness: Duration,
) -> Vec<PathBuf> {
    let now = SystemTime::now();
    crate::sources::watch::walk(root, accept)
        .into_iter()
        .filter(|p| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|m| now.duration_since(m).unwrap_or_default() <= freshness)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"{"timestamp":"2026-11-24T00:00:00Z","type":"session_meta","payload":{"id":"01a20b09-b2d2-79d1-afd3-98259ca731fc","cwd":"/w"}}"#;
    const STARTED: &str = r#"{"timestamp":"2026-11-24T00:00:01Z","type":"event_msg","payload":{"type":"task_started"}}"#;
    const DONE: &str = r#"{"timestamp":"2026-11-24T00:00:02Z","type":"event_msg","payload":{"type":"task_complete"}}"#;

    fn write(lines: &[&str], trailer: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        let mut text = lines.join("\n");
        text.push('\n');
        text.push_str(trailer);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn an_open_last_turn_is_seen_with_the_session_id_and_cwd() {
        let (_d, path) = write(&[META, STARTED], "{\"partial");
        let p = prime(&path, Tz::UTC, 1 << 20).unwrap();
        assert!(p.state.turn_open);
        assert_eq!(
            p.state.session_id.as_deref(),
            Some("01a20b09-b2d2-79d1-afd3-98259ca731fc")
        );
        assert_eq!(p.state.cwd.as_deref(), Some(Path::new("/w")));
        assert_eq!(p.last_at, Some("2026-11-24T00:00:01Z".parse().unwrap()));
        assert_eq!(p.len, std::fs::metadata(&path).unwrap().len());
    }

    #[test]
    fn a_finished_turn_is_closed() {
        let (_d, path) = write(&[META, STARTED, DONE], "");
        assert!(!prime(&path, Tz::UTC, 1 << 20).unwrap().state.turn_open);
    }

    #[test]
    fn a_long_file_is_read_at_both_ends_only() {
        let filler = format!(
            r#"{{"timestamp":"2026-11-24T00:00:01Z","type":"response_item","payload":{{"type":"reasoning","x":"{}"}}}}"#,
            "y".repeat(4096)
        );
        let mut lines = vec![META, DONE];
        let n = (PRIME_TAIL_BYTES as usize / filler.len()) + 64;
        lines.extend(std::iter::repeat_n(filler.as_str(), n));
        lines.push(STARTED);
        let (_d, path) = write(&lines, "");
        let p = prime(&path, Tz::UTC, 1 << 20).unwrap();
        assert!(p.state.turn_open);
        assert!(p.state.session_id.is_some());
    }

    #[test]
    fn a_turn_started_far_back_is_found_by_growing_the_window() {
        let filler = format!(
            r#"{{"timestamp":"2026-11-24T00:00:01Z","type":"response_item","payload":{{"type":"reasoning","x":"{}"}}}}"#,
            "y".repeat(4096)
        );
        let mut lines = vec![META, DONE, STARTED];
        let n = (4 * PRIME_FIRST_WINDOW as usize / filler.len()) + 8;
        lines.extend(std::iter::repeat_n(filler.as_str(), n));
        let (_d, path) = write(&lines, "");
        let p = prime(&path, Tz::UTC, 1 << 20).unwrap();
        assert!(p.state.turn_open);
        assert!(p.state.session_id.is_some());
    }

    #[test]
    fn an_oversize_first_line_is_skipped() {
        let (_d, path) = write(&[META, STARTED], "");
        let p = prime(&path, Tz::UTC, STARTED.len()).unwrap();
        assert!(p.state.session_id.is_none());
        assert!(p.state.turn_open);
    }
}

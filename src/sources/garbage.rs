//! Lines the sources could not use (not JSON, not a known record, oversized, not UTF-8), counted per source
//! for `health` and the metrics, so a broken writer is visible without debug logs. Counters are per process
//! (one daemon per process).
//!
//! A line torn by a writer that died mid-write, followed by a whole record from the next writer, arrives
//! as one line; [`torn_tail`] finds the whole record at its end so that the record (often the stop that
//! matters) is not lost with the torn part.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::protocol::HealthCheck;

/// Where unusable lines come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    ClaudeTranscripts,
    CodexRollouts,
    OpencodeEvents,
}

impl Source {
    pub const ALL: [Source; 3] = [
        Source::ClaudeTranscripts,
        Source::CodexRollouts,
        Source::OpencodeEvents,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Source::ClaudeTranscripts => "claude-transcripts",
            Source::CodexRollouts => "codex-rollouts",
            Source::OpencodeEvents => "opencode-events",
        }
    }
}

static COUNTS: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

/// `n` more unusable lines from `source`.
pub fn count(source: Source, n: u64) {
    if n > 0 {
        COUNTS[source as usize].fetch_add(n, Ordering::Relaxed);
    }
}

/// Unusable lines so far, per source.
pub fn counts() -> [(Source, u64); 3] {
    Source::ALL.map(|s| (s, COUNTS[s as usize].load(Ordering::Relaxed)))
}

/// One informational check per source (garbage is reported, it does not make the daemon unhealthy).
pub fn health_checks() -> Vec<HealthCheck> {
    counts()
        .into_iter()
        .map(|(s, n)| HealthCheck {
            name: format!("garbage:{}", s.name()),
            ok: true,
            detail: format!("{n} unusable lines skipped"),
        })
        .collect()
}

/// The whole JSON object at the end of an unparseable `line`, if any: what a writer appended after an
/// earlier writer's torn, unterminated line. Tries at most 32 candidate starts.
pub fn torn_tail(line: &str) -> Option<&str> {
    line.match_indices('{')
        .skip(1)
        .take(32)
        .map(|(i, _)| &line[i..])
        .find(|rest| {
            rest.starts_with("{\"")
                && serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(rest).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_record_after_a_torn_one_is_found() {
        let torn = r#"{"type":"assistant","message":{"content":[{"type":"te{"type":"system","subtype":"api_retry"}"#;
        assert_eq!(
            torn_tail(torn),
            Some(r#"{"type":"system","subtype":"api_retry"}"#)
        );
        assert_eq!(torn_tail("not json at all"), None);
        assert_eq!(torn_tail(r#"{"a":1"#), None);
    }

    #[test]
    fn counts_add_up_per_source() {
        let before = counts()[1].1;
        count(Source::CodexRollouts, 2);
        count(Source::CodexRollouts, 0);
        assert_eq!(counts()[1], (Source::CodexRollouts, before + 2));
        assert!(health_checks().iter().all(|c| c.ok));
    }
}

//! Lines the sources could not use (not JSON, not a known record, oversized, not UTF-8), counted per source
//! for `health` and the metrics, so a broken writer is visible without debug logs. Counters are per process
//! (one daemon per process).
//!
//! A line torn by a writer that died mid-write, followed by a whole record from the next writer, arrives
//! as one line; [`torn_tail`] finds the whole record at its end so that the record (often the stop that
//! matters) is not lost with the torn part.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::protocol::HealthCheck;

/// Where unusable lines come from: a source's stable name (`<assistant>-transcripts`, …), given by the
/// assistant's own source.
pub type Source = &'static str;

static COUNTS: Mutex<BTreeMap<Source, u64>> = Mutex::new(BTreeMap::new());

/// `n` more unusable lines from `source`.
pub fn count(source: Source, n: u64) {
    if n > 0 {
        *COUNTS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(source)
            .or_default() += n;
    }
}

/// Unusable lines so far, per source that reported any.
pub fn counts() -> Vec<(Source, u64)> {
    COUNTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(s, n)| (*s, *n))
        .collect()
}

/// One informational check per source (garbage is reported, it does not make the daemon unhealthy).
pub fn health_checks() -> Vec<HealthCheck> {
    counts()
        .into_iter()
        .map(|(s, n)| HealthCheck {
            name: format!("garbage:{s}"),
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
        let before = counts()
            .into_iter()
            .find(|(s, _)| *s == "test-rollouts")
            .map_or(0, |(_, n)| n);
        count("test-rollouts", 2);
        count("test-rollouts", 0);
        assert!(counts().contains(&("test-rollouts", before + 2)));
        assert!(health_checks().iter().all(|c| c.ok));
    }
}

//! Server-sent events, decoded from a byte stream, and opencode's event envelope.
//!
//! `GET /global/event` sends `data: {"directory", "project", "payload": {id, type, properties}}`;
//! `GET /event` sends the payload alone. [`Event::parse`] accepts both.

use std::path::PathBuf;

use serde_json::Value;

/// One event's data larger than this is dropped (opencode's are a few KiB; a tool output part can be big).
const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// Splits a byte stream into the `data` of each event.
#[derive(Debug, Default)]
pub struct SseDecoder {
    line: Vec<u8>,
    data: String,
    oversized: bool,
}

impl SseDecoder {
    /// Feed a chunk; returns the data of every event it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in chunk {
            if b != b'\n' {
                if self.line.len() < MAX_EVENT_BYTES {
                    self.line.push(b);
                } else {
                    self.oversized = true;
                }
                continue;
            }
            let line = std::mem::take(&mut self.line);
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if line.is_empty() {
                let data = std::mem::take(&mut self.data);
                if !std::mem::take(&mut self.oversized) && !data.is_empty() {
                    out.push(data);
                }
                continue;
            }
            let text = String::from_utf8_lossy(line);
            if let Some(rest) = text.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
                if self.data.len() > MAX_EVENT_BYTES {
                    self.oversized = true;
                    self.data.clear();
                }
            }
        }
        out
    }
}

/// An opencode bus event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `session.status`, `session.idle`, `message.updated`, …
    pub kind: String,
    /// `properties.sessionID` when present.
    pub session: Option<String>,
    /// The instance directory (global stream only).
    pub directory: Option<PathBuf>,
    pub properties: Value,
}

impl Event {
    /// Read one event's data; `None` when it is not an opencode event.
    pub fn parse(data: &str) -> Option<Event> {
        let v: Value = serde_json::from_str(data).ok()?;
        let directory = v
            .get("directory")
            .and_then(Value::as_str)
            .filter(|d| d.starts_with('/'))
            .map(PathBuf::from);
        let payload = v.get("payload").unwrap_or(&v);
        let kind = payload.get("type")?.as_str()?.to_string();
        let properties = payload.get("properties").cloned().unwrap_or(Value::Null);
        let session = properties
            .get("sessionID")
            .or_else(|| properties.get("info").and_then(|i| i.get("sessionID")))
            .or_else(|| properties.get("part").and_then(|p| p.get("sessionID")))
            .and_then(Value::as_str)
            .map(str::to_string);
        Some(Event {
            kind,
            session,
            directory,
            properties,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_crlf() {
        let mut d = SseDecoder::default();
        assert!(d.push(b"data: {\"a\":").is_empty());
        assert_eq!(
            d.push(b"1}\r\n\r\ndata: x\ndata: y\n\n: comment\n\n"),
            vec!["{\"a\":1}", "x\ny"]
        );
    }

    #[test]
    fn an_oversized_event_is_dropped_and_the_next_one_kept() {
        let mut d = SseDecoder::default();
        let mut big = b"data: ".to_vec();
        big.extend(std::iter::repeat_n(b'x', MAX_EVENT_BYTES + 10));
        big.extend(b"\n\ndata: ok\n\n");
        assert_eq!(d.push(&big), vec!["ok"]);
    }

    #[test]
    fn global_and_plain_envelopes() {
        let g = r#"{"directory":"/w","project":"global","payload":{"id":"evt_1","type":"session.idle","properties":{"sessionID":"ses_1"}}}"#;
        let e = Event::parse(g).unwrap();
        assert_eq!(e.kind, "session.idle");
        assert_eq!(e.session.as_deref(), Some("ses_1"));
        assert_eq!(e.directory, Some(PathBuf::from("/w")));
        let p = r#"{"id":"evt_2","type":"message.updated","properties":{"info":{"sessionID":"ses_2","role":"user"}}}"#;
        let e = Event::parse(p).unwrap();
        assert_eq!(e.session.as_deref(), Some("ses_2"));
        assert_eq!(e.directory, None);
        let global =
            r#"{"directory":"global","payload":{"type":"project.updated","properties":{}}}"#;
        assert_eq!(Event::parse(global).unwrap().directory, None);
        assert_eq!(Event::parse("not json"), None);
    }
}

//! Reading the trail back: `palingenesis events`.

use std::collections::VecDeque;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::files::{self, TrailFile};
use super::lines::{self, Line, LineReader, Parsed};
use super::{AuditError, AuditEvent, EventType};

/// Which events to return. The default matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditQuery {
    /// Only these types; empty means every type.
    pub types: Vec<EventType>,
    /// Only events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Only this session: its id (`abc`) or `assistant:id` (`claude:abc`).
    pub session: Option<String>,
    /// Only the most recent `limit` matches (still returned oldest first).
    pub limit: Option<usize>,
}

impl AuditQuery {
    /// Whether `event` passes every filter (`limit` aside).
    pub fn matches(&self, event: &AuditEvent) -> bool {
        if !self.types.is_empty() && !self.types.contains(&event.event) {
            return false;
        }
        if self.since.is_some_and(|since| event.ts < since) {
            return false;
        }
        if self.until.is_some_and(|until| event.ts >= until) {
            return false;
        }
        match (&self.session, &event.session) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(wanted), Some(id)) => {
                wanted == id
                    || event
                        .assistant
                        .is_some_and(|a| wanted.strip_prefix(a.as_str()) == Some(&format!(":{id}")))
            }
        }
    }
}

/// What [`query`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryResult {
    /// Matching events, oldest first.
    pub events: Vec<AuditEvent>,
    /// Lines that were not valid events (torn by a crash, hand-edited, longer than the cap).
    pub corrupt_lines: usize,
}

/// Keeps the matching events (only the last `limit` when there is a limit), or hands each to a sink, and
/// counts corrupt lines.
pub(crate) struct Collector<'q> {
    query: &'q AuditQuery,
    events: VecDeque<AuditEvent>,
    sink: Option<&'q mut dyn FnMut(AuditEvent)>,
    pub(crate) corrupt_lines: usize,
}

impl<'q> Collector<'q> {
    pub(crate) fn new(query: &'q AuditQuery) -> Self {
        Collector {
            query,
            events: VecDeque::new(),
            sink: None,
            corrupt_lines: 0,
        }
    }

    pub(crate) fn push(&mut self, line: &Line<'_>) {
        self.push_parsed(lines::parse(line));
    }

    fn push_parsed(&mut self, parsed: Parsed) {
        match parsed {
            Parsed::Event(ev) if self.query.matches(&ev) => {
                if let Some(sink) = self.sink.as_mut() {
                    sink(*ev);
                    return;
                }
                if self.query.limit == Some(0) {
                    return;
                }
                if self.query.limit == Some(self.events.len()) {
                    self.events.pop_front();
                }
                self.events.push_back(*ev);
            }
            Parsed::Event(_) | Parsed::Blank => {}
            Parsed::Corrupt => self.corrupt_lines += 1,
        }
    }

    /// Read every line of `reader` to its end; `live` when it is the current file.
    ///
    /// An unterminated tail of the live file may be a line still being written: it is taken when it
    /// parses and otherwise ignored without counting it as corrupt.
    pub(crate) fn read_all<R: std::io::Read>(
        &mut self,
        reader: &mut LineReader<R>,
        live: bool,
    ) -> std::io::Result<()> {
        while let Some(line) = reader.next_line()? {
            self.push(&line);
        }
        match reader.take_partial() {
            Some(line) if live => match lines::parse(&line) {
                Parsed::Corrupt => {}
                parsed => self.push_parsed(parsed),
            },
            Some(line) => self.push(&line),
            None => {}
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> QueryResult {
        QueryResult {
            events: self.events.into(),
            corrupt_lines: self.corrupt_lines,
        }
    }
}

/// Read the trail at `path` (`audit.jsonl`; rotated files oldest first, then the current one) and
/// return the events that match `query`. Corrupt lines are skipped and counted, never fatal.
pub fn query(path: &Path, query: &AuditQuery) -> Result<QueryResult, AuditError> {
    let mut collector = Collector::new(query);
    read_trail(path, &mut collector)?;
    Ok(collector.finish())
}

/// Like [`query`], but hands every matching event to `each`, oldest first, keeping none (`limit` is
/// ignored): for folds over a whole trail in constant memory. Returns the number of corrupt lines.
pub fn scan(
    path: &Path,
    query: &AuditQuery,
    each: &mut dyn FnMut(AuditEvent),
) -> Result<usize, AuditError> {
    let mut collector = Collector::new(query);
    collector.sink = Some(each);
    read_trail(path, &mut collector)?;
    Ok(collector.corrupt_lines)
}

/// Feed every file of the trail at `path` to `collector`, oldest first.
fn read_trail(path: &Path, collector: &mut Collector<'_>) -> Result<(), AuditError> {
    for TrailFile {
        path,
        file,
        current,
        ..
    } in files::snapshot(path)?
    {
        let mut reader = LineReader::new(file);
        collector
            .read_all(&mut reader, current)
            .map_err(|e| AuditError::io(&path, "read", e))?;
    }
    Ok(())
}

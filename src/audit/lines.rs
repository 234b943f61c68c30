//! Reading JSONL with bounded memory: a line longer than the cap is skipped without being held whole.

use std::io::{self, BufRead, BufReader, Read};

use super::AuditEvent;

/// Longest line readers accept (and writers produce); longer lines are skipped and counted as corrupt.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// What [`LineReader::next_line`] found.
#[derive(Debug, PartialEq)]
pub(crate) enum Line<'a> {
    /// A whole line, without its `\n`.
    Complete(&'a [u8]),
    /// A line longer than the cap; its bytes were discarded.
    TooLong,
}

/// Splits a stream into lines of at most `max` bytes. At end of input the bytes after the last `\n`
/// stay buffered, so reading on after the file grows continues the same line (what a tail needs).
pub(crate) struct LineReader<R> {
    inner: BufReader<R>,
    buf: Vec<u8>,
    max: usize,
    /// The current line passed `max`: discard until the next `\n`.
    skipping: bool,
    /// `buf` holds a line already returned; clear it on the next call.
    returned: bool,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self::with_max(inner, MAX_LINE_BYTES)
    }

    pub(crate) fn with_max(inner: R, max: usize) -> Self {
        LineReader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            buf: Vec::new(),
            max,
            skipping: false,
            returned: false,
        }
    }

    /// The next complete line, or `None` when the input has no further `\n` for now.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        if self.returned {
            self.buf.clear();
            self.returned = false;
        }
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(None);
            }
            let newline = available.iter().position(|&b| b == b'\n');
            let chunk = &available[..newline.unwrap_or(available.len())];
            if !self.skipping {
                if self.buf.len() + chunk.len() > self.max {
                    self.skipping = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            let used = chunk.len() + usize::from(newline.is_some());
            self.inner.consume(used);
            if newline.is_some() {
                self.returned = true;
                if std::mem::take(&mut self.skipping) {
                    return Ok(Some(Line::TooLong));
                }
                return Ok(Some(Line::Complete(&self.buf)));
            }
        }
    }

    /// The unterminated tail after the last `\n` (a line still being written, or cut short by a crash);
    /// `None` when there is none. Consumes it.
    pub(crate) fn take_partial(&mut self) -> Option<Line<'_>> {
        if self.returned {
            self.buf.clear();
            self.returned = false;
        }
        self.returned = true;
        if std::mem::take(&mut self.skipping) {
            Some(Line::TooLong)
        } else if self.buf.is_empty() {
            None
        } else {
            Some(Line::Complete(&self.buf))
        }
    }
}

/// How one line of the trail reads.
pub(crate) enum Parsed {
    Event(Box<AuditEvent>),
    /// An empty line: not an event, not worth counting.
    Blank,
    Corrupt,
}

pub(crate) fn parse(line: &Line<'_>) -> Parsed {
    match line {
        Line::TooLong => Parsed::Corrupt,
        Line::Complete(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Parsed::Blank,
        Line::Complete(bytes) => match serde_json::from_slice::<AuditEvent>(bytes) {
            Ok(ev) => Parsed::Event(Box::new(ev)),
            Err(_) => Parsed::Corrupt,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as the tests see it: its bytes, or `None` when it was too long.
    type Owned = Option<Vec<u8>>;

    fn collect(input: &[u8], max: usize) -> (Vec<Owned>, Option<Owned>) {
        let mut r = LineReader::with_max(input, max);
        let mut lines = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            lines.push(match l {
                Line::Complete(b) => Some(b.to_vec()),
                Line::TooLong => None,
            });
        }
        let partial = r.take_partial().map(|l| match l {
            Line::Complete(b) => Some(b.to_vec()),
            Line::TooLong => None,
        });
        (lines, partial)
    }

    #[test]
    fn splits_lines_and_keeps_the_tail() {
        let (lines, partial) = collect(b"a\nbb\n\nccc", 10);
        assert_eq!(
            lines,
            vec![Some(b"a".to_vec()), Some(b"bb".to_vec()), Some(Vec::new())]
        );
        assert_eq!(partial, Some(Some(b"ccc".to_vec())));
    }

    #[test]
    fn long_lines_are_skipped_not_stored() {
        let mut input = vec![b'x'; 200_000];
        input.extend_from_slice(b"\nok\n");
        input.extend(vec![b'y'; 100]);
        let (lines, partial) = collect(&input, 50);
        assert_eq!(lines, vec![None, Some(b"ok".to_vec())]);
        assert_eq!(partial, Some(None));
    }

    #[test]
    fn line_of_exactly_max_is_kept() {
        let (lines, partial) = collect(b"12345\n123456\n", 5);
        assert_eq!(lines, vec![Some(b"12345".to_vec()), None]);
        assert_eq!(partial, None);
    }

    #[test]
    fn a_tail_continues_when_more_arrives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"one\ntw").unwrap();
        let mut r = LineReader::new(std::fs::File::open(&path).unwrap());
        assert_eq!(r.next_line().unwrap(), Some(Line::Complete(b"one")));
        assert_eq!(r.next_line().unwrap(), None);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, b"o\nthree").unwrap();
        assert_eq!(r.next_line().unwrap(), Some(Line::Complete(b"two")));
        assert_eq!(r.next_line().unwrap(), None);
    }
}

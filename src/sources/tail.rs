//! Incremental reader for one append-only JSONL file.
//!
//! [`JsonlTail`] remembers how far it has read and, on each [`JsonlTail::read_new`], reads only the bytes
//! appended since, splits them into complete lines and keeps an incomplete trailing line for the next call.
//! Memory stays bounded: a line longer than `max_line_bytes` is discarded as it streams past (never
//! buffered whole) and counted, and one call reads at most [`READ_BUDGET`] bytes (`more` says when to call
//! again). A file that became shorter than the read position (truncated) or whose inode changed (replaced,
//! e.g. by an atomic rename) is read again from its start.
//!
//! The file is opened only for the duration of a read, so following thousands of files holds no
//! descriptors, and an unchanged file costs one `stat`. This is blocking code: async callers run it in
//! `spawn_blocking`.

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Default cap on one line's length; longer lines are skipped and counted.
pub const DEFAULT_MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// Most bytes one [`JsonlTail::read_new`] call reads; the rest waits for the next call (`more` is set).
pub const READ_BUDGET: u64 = 8 * 1024 * 1024;

const CHUNK: usize = 64 * 1024;
/// The first window read back when a file does not end with a newline.
const LOOK_BACK_FIRST: usize = 4 * 1024;
/// A partial-line buffer that grew beyond this is freed rather than kept for reuse.
const KEEP_CAPACITY: usize = 64 * 1024;

/// What one [`JsonlTail::read_new`] call found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TailBatch {
    /// Complete new lines, in file order, without the line terminator (`\n` or `\r\n`). Blank lines are
    /// dropped.
    pub lines: Vec<String>,
    /// Lines longer than the tail's `max_line_bytes`, skipped without being buffered.
    pub skipped_oversize: usize,
    /// Lines that were not valid UTF-8 and were dropped.
    pub invalid_utf8: usize,
    /// The first of `lines` (if any) is the first line of the file: it is new, or was read again from its
    /// start after a truncation or replacement.
    pub from_start: bool,
    /// The file was truncated or replaced since the previous read, and reading restarted at byte 0.
    pub restarted: bool,
    /// The read budget ran out before the end of the file: call again for the rest.
    pub more: bool,
}

/// Identity of a file's content: the same path with a different identity is a different file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

#[cfg(unix)]
fn file_id(meta: &Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// Without inode numbers, replacement is detected only when it makes the file shorter.
#[cfg(not(unix))]
fn file_id(_meta: &Metadata) -> Option<FileId> {
    None
}

/// Follows one append-only JSONL file, reading only what was appended since the last call.
#[derive(Debug)]
pub struct JsonlTail {
    path: PathBuf,
    /// Read position: every byte before it has been consumed.
    offset: u64,
    /// Bytes of the incomplete line at the end of what was read (empty while skipping).
    partial: Vec<u8>,
    /// Inside an oversize line: discard bytes until the next newline.
    skipping: bool,
    /// Where the first line not yet delivered starts; the offset to persist and resume from.
    line_start: u64,
    /// The file's identity when last read; `None` until the first read of a resumed tail.
    identity: Option<FileId>,
    max_line_bytes: usize,
}

impl JsonlTail {
    /// A tail that resumes at `offset`, which should be the start of a line (a previous
    /// [`JsonlTail::resume_offset`]); `0` reads the whole file.
    pub fn new(path: impl Into<PathBuf>, offset: u64) -> JsonlTail {
        JsonlTail {
            path: path.into(),
            offset,
            partial: Vec::new(),
            skipping: false,
            line_start: offset,
            identity: None,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }

    /// Sets the longest line kept (at least 1 byte); longer lines are skipped and counted.
    pub fn with_max_line_bytes(mut self, max_line_bytes: usize) -> JsonlTail {
        self.max_line_bytes = max_line_bytes.max(1);
        self
    }

    /// The file followed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the first line not yet delivered starts: persist this, and pass it to [`JsonlTail::new`]
    /// to resume without losing or repeating a line.
    pub fn resume_offset(&self) -> u64 {
        self.line_start
    }

    /// Skips everything already in the file: the next read returns only lines completed from now on.
    ///
    /// If the file ends in an incomplete line (a writer mid-line), the tail is positioned at that line's
    /// start so it is delivered whole once completed, provided it is within `max_line_bytes`. Reads only
    /// the file's last byte when it ends with a newline (as JSONL files at rest do), else back to the
    /// start of its last line.
    pub fn seek_to_end(&mut self) -> io::Result<()> {
        let file = File::open(&self.path)?;
        let meta = file.metadata()?;
        self.position_in(file, &meta, meta.len())
    }

    /// Positions the tail after the last complete line among the file's first `len` bytes (what it held
    /// when it was last seen, e.g. before being set aside): lines completed after that are delivered.
    /// `len` beyond the file's end counts as its end.
    pub fn seek_to_known_end(&mut self, len: u64) -> io::Result<()> {
        let file = File::open(&self.path)?;
        let meta = file.metadata()?;
        self.position_in(file, &meta, len.min(meta.len()))
    }

    /// The file's identity (device and inode) when last read or positioned, if known.
    pub fn identity(&self) -> Option<(u64, u64)> {
        self.identity.map(|id| (id.dev, id.ino))
    }

    fn position_in(&mut self, mut file: File, meta: &Metadata, len: u64) -> io::Result<()> {
        self.identity = file_id(meta);
        self.partial = Vec::new();
        self.offset = len;
        self.line_start = len;
        self.skipping = false;
        match last_line_start(&mut file, len, self.max_line_bytes)? {
            Some(start) => {
                self.offset = start;
                self.line_start = start;
            }
            None => self.skipping = true,
        }
        Ok(())
    }

    /// Reads what was appended since the last call and returns the complete lines found.
    ///
    /// Returns an error if the file cannot be read (e.g. `NotFound` after deletion); the tail's position
    /// is kept, so a later call continues where this one failed.
    pub fn read_new(&mut self) -> io::Result<TailBatch> {
        let mut batch = TailBatch::default();
        // An unchanged file costs one stat and is not even opened.
        let meta = fs::metadata(&self.path)?;
        if meta.len() == self.offset && !self.replaced(&meta) {
            self.identity = self.identity.or(file_id(&meta));
            batch.from_start = self.line_start == 0;
            return Ok(batch);
        }
        let mut file = File::open(&self.path)?;
        let meta = file.metadata()?;
        if self.replaced(&meta) {
            tracing::info!(path = %self.path.display(), "file replaced; reading it from the start");
            self.restart(&mut batch);
        } else if meta.len() < self.offset {
            tracing::info!(path = %self.path.display(), len = meta.len(), offset = self.offset,
                "file truncated; reading it from the start");
            self.restart(&mut batch);
        }
        self.identity = file_id(&meta);
        batch.from_start = self.line_start == 0;
        if meta.len() == self.offset {
            return Ok(batch);
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let start = self.offset;
        let mut buf = vec![0u8; CHUNK];
        let mut budget = READ_BUDGET;
        while budget > 0 {
            let want = CHUNK.min(usize::try_from(budget).unwrap_or(CHUNK));
            let n = match file.read(&mut buf[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // What was consumed so far is delivered; the error will show again on the next call.
                Err(e) if self.offset != start => {
                    tracing::warn!(path = %self.path.display(), error = %e, "read failed part-way");
                    break;
                }
                Err(e) => return Err(e),
            };
            budget -= n as u64;
            self.consume(&buf[..n], &mut batch);
        }
        batch.more = budget == 0 && self.offset < meta.len();
        Ok(batch)
    }

    fn replaced(&self, meta: &Metadata) -> bool {
        matches!((self.identity, file_id(meta)), (Some(old), Some(new)) if old != new)
    }

    fn restart(&mut self, batch: &mut TailBatch) {
        self.offset = 0;
        self.line_start = 0;
        self.partial = Vec::new();
        self.skipping = false;
        batch.restarted = true;
    }

    /// Splits freshly read bytes into lines, carrying the incomplete tail over in `partial`.
    fn consume(&mut self, mut data: &[u8], batch: &mut TailBatch) {
        while !data.is_empty() {
            let Some(nl) = data.iter().position(|&b| b == b'\n') else {
                if !self.skipping {
                    if self.partial.len() + data.len() > self.max_line_bytes {
                        batch.skipped_oversize += 1;
                        self.partial = Vec::new();
                        self.skipping = true;
                    } else {
                        self.partial.extend_from_slice(data);
                    }
                }
                self.offset += data.len() as u64;
                return;
            };
            let piece = &data[..nl];
            if self.skipping {
                self.skipping = false;
            } else if self.partial.len() + piece.len() > self.max_line_bytes {
                batch.skipped_oversize += 1;
                self.partial.clear();
            } else if self.partial.is_empty() {
                push_line(piece, batch);
            } else {
                self.partial.extend_from_slice(piece);
                push_line(&self.partial, batch);
                self.partial.clear();
            }
            if self.partial.capacity() > KEEP_CAPACITY {
                self.partial = Vec::new();
            }
            self.offset += nl as u64 + 1;
            self.line_start = self.offset;
            data = &data[nl + 1..];
        }
    }
}

/// Adds one complete line (without its `\n`) to the batch.
fn push_line(line: &[u8], batch: &mut TailBatch) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match std::str::from_utf8(line) {
        Ok(text) => batch.lines.push(text.to_owned()),
        Err(_) => batch.invalid_utf8 += 1,
    }
}

/// Where the last line of a `len`-byte file starts, looking back at most `max_line_bytes`; `None` if
/// that line is longer than that. A file ending in `\n` (or empty) yields `len` after reading one byte;
/// otherwise the look back reads small windows first, growing up to [`CHUNK`].
fn last_line_start(file: &mut File, len: u64, max_line_bytes: usize) -> io::Result<Option<u64>> {
    let mut end = len;
    let floor = len.saturating_sub(max_line_bytes as u64 + 1);
    let mut window = 1;
    let mut buf = Vec::new();
    while end > floor {
        let n = usize::try_from(end - floor).map_or(window, |gap| gap.min(window));
        let at = end - n as u64;
        buf.resize(n, 0);
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(&mut buf)?;
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(at + i as u64 + 1));
        }
        end = at;
        window = (window * 16).clamp(LOOK_BACK_FIRST, CHUNK);
    }
    // No newline within reach: the file holds a single line, or the last line is oversize.
    Ok((len <= max_line_bytes as u64).then_some(0))
}

#[cfg(test)]
mod tests;

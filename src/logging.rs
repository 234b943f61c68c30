//! Logging setup: `tracing` to a size-capped, rotated file (and stderr in the foreground).
//! `-v`/`-vv` raise the level; `RUST_LOG` (`level` and `target=level` directives) overrides everything.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

use crate::config::LogFormat;

/// Log lines queued for the writer thread at most: 8,192 slots of 32 bytes, 256 KB resident from the start.
/// The writer thread drains it as fast as the file takes lines; a burst of a thousand new sessions at `-vv`
/// stays well inside it.
const LOG_QUEUE_LINES: usize = 8_192;

/// A log file that rotates to `.1`, `.2`, … when it passes `max_bytes`, keeping `keep` old files.
#[derive(Clone)]
pub struct RotatingFile {
    inner: Arc<Mutex<RotatingInner>>,
}

struct RotatingInner {
    path: PathBuf,
    file: File,
    written: u64,
    max_bytes: u64,
    keep: usize,
}

impl RotatingFile {
    pub fn open(path: &Path, max_bytes: u64, keep: usize) -> io::Result<RotatingFile> {
        if let Some(dir) = path.parent() {
            private_dir(dir)?;
        }
        let file = open_private(path)?;
        let written = file.metadata()?.len();
        Ok(RotatingFile {
            inner: Arc::new(Mutex::new(RotatingInner {
                path: path.to_path_buf(),
                file,
                written,
                max_bytes,
                keep,
            })),
        })
    }
}

impl RotatingInner {
    fn rotate(&mut self) -> io::Result<()> {
        for i in (1..self.keep).rev() {
            let from = numbered(&self.path, i);
            if from.exists() {
                std::fs::rename(&from, numbered(&self.path, i + 1))?;
            }
        }
        if self.keep > 0 {
            std::fs::rename(&self.path, numbered(&self.path, 1))?;
        } else {
            std::fs::remove_file(&self.path)?;
        }
        self.file = open_private(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

/// Logs can quote what agents and users wrote: the directory is 0700, each file 0600 (existing ones too).
pub fn private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Open `path` for appending, created 0600 (an existing file is made 0600).
pub fn open_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

pub fn numbered(path: &Path, i: usize) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{i}"));
    PathBuf::from(s)
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.written + buf.len() as u64 > inner.max_bytes && inner.written > 0 {
            inner.rotate()?;
        }
        inner.file.write_all(buf)?;
        inner.written += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .file
            .flush()
    }
}

impl<'a> MakeWriter<'a> for RotatingFile {
    type Writer = RotatingFile;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

pub struct LogOptions<'a> {
    pub verbosity: u8,
    pub default_level: &'a str,
    pub format: LogFormat,
    pub file: Option<(&'a Path, u64, usize)>,
    pub stderr: bool,
}

/// Install the global subscriber. Returns the guard that flushes the file writer on drop.
pub fn init(
    opts: LogOptions<'_>,
) -> io::Result<Option<tracing_appender::non_blocking::WorkerGuard>> {
    let level = match opts.verbosity {
        0 => opts.default_level.to_string(),
        1 => "debug".to_string(),
        _ => "trace".to_string(),
    };
    let filter = || log_filter(std::env::var("RUST_LOG").ok().as_deref(), &level);
    let json = opts.format == LogFormat::Json;
    let mut guard = None;
    let file_layer = match opts.file {
        Some((path, max, keep)) => {
            // The queue to the writer thread holds its capacity from the start (the default, 128,000
            // lines, is 4 MB of resident memory); beyond it lines are dropped, never blocking a caller.
            let (writer, g) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .buffered_lines_limit(LOG_QUEUE_LINES)
                .finish(RotatingFile::open(path, max, keep)?);
            guard = Some(g);
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false);
            Some(
                if json {
                    layer.json().boxed()
                } else {
                    layer.boxed()
                }
                .with_filter(filter()),
            )
        }
        None => None,
    };
    let stderr_layer = opts.stderr.then(|| {
        // Colour only for a person at a terminal: a file or the journal gets plain text.
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(io::stderr)
            .with_ansi(io::IsTerminal::is_terminal(&io::stderr()));
        if json {
            layer.json().boxed()
        } else {
            layer.boxed()
        }
        .with_filter(filter())
    });
    let _ = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    Ok(guard)
}

/// What is logged: `RUST_LOG` (`level` or `target=level` directives, comma-separated) when it is set and
/// valid, else warnings from everything and `level` from palingenesis.
fn log_filter(rust_log: Option<&str>, level: &str) -> Targets {
    rust_log
        .and_then(|directives| directives.parse().ok())
        .or_else(|| format!("warn,palingenesis={level}").parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::WARN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_past_the_cap_and_keeps_n() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.log");
        let mut f = RotatingFile::open(&p, 100, 2).unwrap();
        for _ in 0..10 {
            f.write_all(&[b'x'; 60]).unwrap();
        }
        assert!(p.exists() && numbered(&p, 1).exists() && numbered(&p, 2).exists());
        assert!(!numbered(&p, 3).exists());
        assert!(std::fs::metadata(&p).unwrap().len() <= 100);
    }

    fn enabled(filter: &Targets, target: &str, level: tracing::Level) -> bool {
        filter.would_enable(target, &level)
    }

    #[test]
    fn the_configured_level_applies_to_palingenesis_and_warnings_to_the_rest() {
        use tracing::Level;
        let f = log_filter(None, "info");
        assert!(enabled(&f, "palingenesis::engine", Level::INFO));
        assert!(!enabled(&f, "palingenesis::engine", Level::DEBUG));
        assert!(enabled(&f, "hyper", Level::WARN));
        assert!(!enabled(&f, "hyper", Level::INFO));
    }

    #[test]
    fn rust_log_directives_override_and_a_malformed_one_falls_back() {
        use tracing::Level;
        let f = log_filter(Some("debug,palingenesis::engine=trace,hyper=off"), "info");
        assert!(enabled(&f, "palingenesis::engine::step", Level::TRACE));
        assert!(enabled(&f, "palingenesis::daemon", Level::DEBUG));
        assert!(!enabled(&f, "palingenesis::daemon", Level::TRACE));
        assert!(!enabled(&f, "hyper", Level::ERROR));
        let f = log_filter(Some("palingenesis=loud"), "debug");
        assert!(enabled(&f, "palingenesis::engine", Level::DEBUG));
        assert!(!enabled(&f, "tokio", Level::INFO));
    }
}

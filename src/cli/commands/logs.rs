//! `palingenesis logs [--follow] [--tail N] [--since TIME] [--json]`: the daemon's log file (works without the
//! daemon). `--json` prints one object per line, `{"time": RFC 3339 or null, "line": the text}`; no log yet
//! prints nothing (a note on stderr).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::cli::args::LogsArgs;
use crate::cli::exit;
use crate::paths::Paths;

/// Bytes read from the end of the file to find the last N lines.
const TAIL_WINDOW: u64 = 4 * 1024 * 1024;

pub async fn run(paths: &Paths, args: LogsArgs) -> anyhow::Result<u8> {
    let path = paths.log_file();
    let since = args.since.as_deref().map(super::parse_since).transpose()?;
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !args.follow => {
            match args.json {
                true => eprintln!("no log yet at {}", path.display()),
                false => println!("no log yet at {}", path.display()),
            }
            return Ok(exit::OK);
        }
        Err(e) => return Err(anyhow::anyhow!("reading {}: {e}", path.display())),
    };
    let len = file.metadata().await?.len();
    let start = len.saturating_sub(TAIL_WINDOW);
    file.seek(std::io::SeekFrom::Start(start)).await?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().skip(usize::from(start > 0)).collect();
    if let Some(since) = since {
        lines.retain(|l| line_time(l).is_none_or(|t| t >= since));
    }
    let from = lines.len().saturating_sub(args.tail);
    for l in &lines[from..] {
        print_line(l, args.json)?;
    }
    if !args.follow {
        return Ok(exit::OK);
    }
    let mut pos = len;
    loop {
        // The log may be rotated: reopen by path each round.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(mut f) = tokio::fs::File::open(&path).await else {
            continue;
        };
        let now_len = f.metadata().await?.len();
        if now_len < pos {
            pos = 0;
        }
        if now_len > pos {
            f.seek(std::io::SeekFrom::Start(pos)).await?;
            let mut chunk = Vec::new();
            f.read_to_end(&mut chunk).await?;
            // As JSON, only whole lines: a line still being written is read again next round.
            if args.json {
                chunk.truncate(chunk.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1));
            }
            pos += chunk.len() as u64;
            let text = String::from_utf8_lossy(&chunk);
            match args.json {
                true => text.lines().try_for_each(|l| print_line(l, true))?,
                false => print!("{text}"),
            }
        }
    }
}

fn print_line(line: &str, json: bool) -> anyhow::Result<()> {
    if !json {
        println!("{line}");
        return Ok(());
    }
    let time = line_time(line).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    println!(
        "{}",
        serde_json::to_string(&serde_json::json!({"time": time, "line": line}))?
    );
    Ok(())
}

/// The timestamp a tracing line starts with (text or JSON format).
fn line_time(line: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let first = line.split_whitespace().next()?;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(first) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    chrono::DateTime::parse_from_rfc3339(v.get("timestamp")?.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

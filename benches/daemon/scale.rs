//! Figures at scale: a daemon started on a large history (many transcripts already on disk).
//!
//! - Bytes read at start-up (`rchar` of `/proc/<pid>/io` once `daemon start` returned) and the time
//!   `daemon start` took to get an answer on the socket (warm page cache: the history was just written).
//! - Idle resident size with 1,000 and with 10,000 transcripts, before and after activity: 1,000 new
//!   transcripts (each announcing its session) and 20 stops appended to old transcripts; measured 3 s
//!   after the activity and again once it is idle (its followed files dormant again, 5 minutes later).
//!   The history is two days old (its files' modification times), as history is: files written within
//!   the start-up catch-up window (`[watch] catch_up_secs`, 4 h) are read for recent stops at start.
//! - The executable's size as `cargo build --release` makes it, as built and stripped (`binary_size`).
//! - Optionally (`PALINGENESIS_BENCH_SOAK_SECS`), a soak: steady new sessions and stops for that long, with
//!   the resident size sampled at the start and the end.
//!
//! The history's shape comes from `PALINGENESIS_BENCH_FILES` (default 10,000) and
//! `PALINGENESIS_BENCH_FILE_KB` (default 120: 10,000 × 120 KB ≈ 1.2 GB).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Daemon, bin, rss_kb, session_id, stop_line};

/// Transcripts per project folder.
const PER_PROJECT: usize = 100;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One transcript of about `kb` KB: ordinary user/assistant lines, ending with a newline.
fn transcript_body(kb: usize) -> String {
    let text = "lorem ipsum dolor sit amet ".repeat(40);
    let mut body = String::with_capacity(kb * 1024 + 2048);
    let mut n = 0;
    while body.len() < kb * 1024 {
        let line = serde_json::json!({
            "type": if n % 2 == 0 { "user" } else { "assistant" },
            "isSidechain": false, "uuid": format!("{n:032x}"), "cwd": "/bench/project",
            "timestamp": "2026-11-01T10:00:00.000Z",
            "message": {"role": if n % 2 == 0 { "user" } else { "assistant" },
                        "content": [{"type": "text", "text": text}]}
        });
        body.push_str(&line.to_string());
        body.push('\n');
        n += 1;
    }
    body
}

fn transcript_path(home: &Path, i: usize) -> PathBuf {
    home.join(format!(
        ".claude/projects/-bench-scale-{:04}/{}.jsonl",
        i / PER_PROJECT,
        session_id(i)
    ))
}

/// `count` transcripts of about `kb` KB each, numbered from `first`.
fn write_history(home: &Path, first: usize, count: usize, kb: usize) {
    let body = transcript_body(kb);
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    for i in first..first + count {
        let path = transcript_path(home, i);
        if i % PER_PROJECT == 0 || i == first {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        }
        std::fs::write(&path, &body).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(two_days_ago))
            .unwrap();
    }
}

/// Bytes the process has read through system calls so far.
fn rchar(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("rchar:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Decimal megabytes (sizes and bytes read; resident sizes are in MiB like the other figures).
fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn append(path: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    writeln!(f, "{line}").unwrap();
}

/// `StopDetected` events in the audit trail (its current file: the runs here stay below its rotation
/// size).
fn stops_detected(d: &Daemon) -> usize {
    std::fs::read_to_string(d.root.join("state/audit.jsonl"))
        .unwrap_or_default()
        .matches("\"StopDetected\"")
        .count()
}

fn wait_for_stops(d: &Daemon, at_least: usize) {
    let end = Instant::now() + Duration::from_secs(60);
    while stops_detected(d) < at_least {
        assert!(Instant::now() < end, "stops not detected within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The resident size once the daemon has settled (blocking threads parked, batches handled).
fn settled_rss_mb(pid: u32) -> f64 {
    std::thread::sleep(Duration::from_secs(3));
    rss_kb(pid) as f64 / 1024.0
}

/// Write the dirty pages out and drop the page cache, so that the start is timed on a cold disk as after a
/// reboot (the history, the executable and its libraries all read from the disk). Needs root; `false` where
/// the kernel does not allow it, and the start is then timed with a warm cache.
fn drop_page_cache() -> bool {
    let synced = std::process::Command::new("sync")
        .status()
        .is_ok_and(|s| s.success());
    synced && std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// New sessions and stops: `new` transcripts that announce their session, then `stops` stop lines
/// appended to old transcripts, waiting until every stop was detected.
fn activity(d: &Daemon, history: usize, new: usize, stops: usize, first_new: usize) {
    let cwd = Path::new("/tmp");
    let before = stops_detected(d);
    for i in first_new..first_new + new {
        let path = transcript_path(&d.home, i);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let first = serde_json::json!({
            "type": "user", "isSidechain": false, "uuid": format!("{i:032x}"), "sessionId": session_id(i),
            "cwd": cwd, "timestamp": chrono::Utc::now().to_rfc3339(),
            "message": {"role": "user", "content": "hello"}
        });
        std::fs::write(&path, format!("{first}\n")).unwrap();
    }
    for k in 0..stops {
        let i = (k * 7919 + first_new) % history;
        append(
            &transcript_path(&d.home, i),
            &stop_line(&session_id(i), cwd),
        );
    }
    wait_for_stops(d, before + stops);
}

/// Start on `files` transcripts of `kb` KB and print what start-up cost, then the idle resident size
/// before and after activity.
fn history_run(files: usize, kb: usize) {
    let quiet = "[resume]\nenabled = false\n";
    let started = std::cell::Cell::new(Duration::ZERO);
    let cache = std::cell::Cell::new("warm cache");
    let prepare = |home: &Path| {
        write_history(home, 0, files, kb);
        if drop_page_cache() {
            cache.set("cold cache");
        }
    };
    let d = Daemon::start_timed(quiet, prepare, &started);
    let pid = d.pid();
    let read = rchar(pid);
    println!(
        "start on {files} transcripts ({:.0} MB): ready in {:.0} ms ({}), read {:.2} MB",
        mb((files * kb * 1024) as u64),
        started.get().as_secs_f64() * 1000.0,
        cache.get(),
        mb(read)
    );
    println!(
        "idle RSS, {files} transcripts watched:        {:.1} MB",
        settled_rss_mb(pid)
    );
    activity(&d, files, 1000, 20, files + 100_000);
    println!(
        "idle RSS, {files} watched, after 1,000 new + 20 stops: {:.1} MB",
        settled_rss_mb(pid)
    );
    // The followed files go dormant 5 minutes after their last change (`WatchSpec::dormant_after`).
    std::thread::sleep(Duration::from_secs(5 * 60 + 10));
    println!(
        "idle RSS, {files} watched, once quiet again:          {:.1} MB",
        rss_kb(pid) as f64 / 1024.0
    );
}

/// Steady stops for `secs` on a history of 1,000 transcripts: each round appends a progress line and a
/// stop to the next transcript (so every one of them becomes a tracked session that keeps stopping), and
/// waits for the stop to be detected. The resident size is sampled at each quarter of the run.
fn soak(secs: u64) {
    let quiet = "[resume]\nenabled = false\n[audit]\nmax_bytes = 1000000000\n";
    let started = std::cell::Cell::new(Duration::ZERO);
    let history = 1000;
    let d = Daemon::start_timed(quiet, |home| write_history(home, 0, history, 4), &started);
    let pid = d.pid();
    let cwd = Path::new("/tmp");
    let begin = Instant::now();
    let mut samples = vec![format!("{:.1}", rss_kb(pid) as f64 / 1024.0)];
    let mut stops = 0;
    while begin.elapsed() < Duration::from_secs(secs) {
        let i = (stops * 7919) % history;
        let path = transcript_path(&d.home, i);
        append(&path, &progress_line(&session_id(i), cwd));
        append(&path, &stop_line(&session_id(i), cwd));
        stops += 1;
        wait_for_stops(&d, stops);
        let quarter = (begin.elapsed().as_secs() * 4 / secs.max(1)) as usize;
        if quarter >= samples.len() && quarter < 4 {
            samples.push(format!("{:.1}", rss_kb(pid) as f64 / 1024.0));
        }
    }
    samples.push(format!("{:.1}", settled_rss_mb(pid)));
    println!(
        "soak {secs} s, {stops} stops over {history} sessions: RSS at each quarter {} MB",
        samples.join(" → ")
    );
}

/// An ordinary assistant line: the session made progress (so the next stop is a new one).
fn progress_line(session: &str, cwd: &Path) -> String {
    serde_json::json!({
        "type": "assistant", "isSidechain": false, "uuid": format!("{:032x}", rand_id()), "sessionId": session,
        "timestamp": chrono::Utc::now().to_rfc3339(), "cwd": cwd,
        "message": {"model": "claude-opus-4", "role": "assistant", "content": [{"type": "text", "text": "working"}]}
    })
    .to_string()
}

fn rand_id() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Its size as built and stripped (`None` where there is no `strip`).
fn sizes(bin: &Path) -> (u64, Option<u64>) {
    let built = std::fs::metadata(bin).unwrap().len();
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("palingenesis");
    std::fs::copy(bin, &copy).unwrap();
    let stripped = std::process::Command::new("strip")
        .arg(&copy)
        .status()
        .ok()
        .filter(|s| s.success())
        .map(|_| std::fs::metadata(&copy).unwrap().len());
    (built, stripped)
}

/// The executable a user gets: `cargo build --release` in a target directory of its own
/// (`target/bench-release`, rebuilt only when the sources changed). The bench's own build is not it: building
/// the benches unifies the dev-dependencies' features in (proptest turns regex's Unicode tables back on).
fn release_build() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target/bench-release");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = std::process::Command::new(cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "--quiet",
            "--bin",
            "palingenesis",
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .is_ok_and(|s| s.success());
    built.then(|| target.join("release/palingenesis"))
}

pub fn binary_size() {
    let describe = |(built, stripped): (u64, Option<u64>)| match stripped {
        Some(stripped) => format!(
            "{:.2} MB as built, {:.2} MB stripped",
            mb(built),
            mb(stripped)
        ),
        None => format!(
            "{:.2} MB as built (no `strip` to measure stripped)",
            mb(built)
        ),
    };
    if std::env::var_os("PALINGENESIS_BENCH_BIN").is_some() {
        println!("executable size: {}", describe(sizes(&bin())));
        return;
    }
    match release_build() {
        Some(release) => println!(
            "executable size (`cargo build --release`): {}; the bench's own build: {:.2} MB",
            describe(sizes(&release)),
            mb(std::fs::metadata(bin()).unwrap().len())
        ),
        None => println!(
            "executable size: {} (the bench's own build: `cargo build --release` failed)",
            describe(sizes(&bin()))
        ),
    }
}

pub fn run() {
    let files = env_usize("PALINGENESIS_BENCH_FILES", 10_000);
    let kb = env_usize("PALINGENESIS_BENCH_FILE_KB", 120);
    history_run(1000.min(files), kb);
    if files > 1000 {
        history_run(files, kb);
    }
    let soak_secs = env_usize("PALINGENESIS_BENCH_SOAK_SECS", 0);
    if soak_secs > 0 {
        soak(soak_secs as u64);
    }
}

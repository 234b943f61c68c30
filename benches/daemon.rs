//! Daemon benchmark: prints figures, asserts nothing. Run with `cargo bench --bench daemon`.
//!
//! - `status` round-trip latency over the socket (persistent connection, and connect+handshake per request
//!   as the CLI does). Target p50 ≤ 5 ms.
//! - Idle daemon RSS with 1,000 transcripts watched. Target ≤ 15 MB.
//! - Idle wake-ups: context switches of every daemon thread over 5 s of idleness (no polling loops).
//! - Detection latency: appending a stop line to one of 1,000 watched transcripts → the `StopDetected` audit
//!   event's timestamp. Target p99 ≤ 50 ms.
//! - Deadline → resume spawn: the planned instant of a resume → the moment the (stand-in) agent process starts.
//!   Target ≤ 100 ms.
//! - The executable's size as `cargo build --release` makes it (built in `target/bench-release`).
//! - At scale ([`scale`]): bytes read and time to ready at start on a large history, idle RSS with 1,000 and
//!   10,000 transcripts before and after activity.
//!
//! `PALINGENESIS_BENCH_ONLY=latency` (or `size`, `scale`) runs one part only; `PALINGENESIS_BENCH_BIN` measures
//! another executable (e.g. an older build) with the same workload.

#[path = "daemon/scale.rs"]
mod scale;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

mod support;
use support::{Daemon, bin};

fn frame(s: &mut UnixStream, body: &[u8]) -> Vec<u8> {
    s.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut buf = vec![0; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut buf).unwrap();
    buf
}

const HELLO: &[u8] = br#"{"request":"hello","version":1,"client":"bench"}"#;
const STATUS: &[u8] = br#"{"request":"status"}"#;

fn percentiles(mut v: Vec<Duration>) -> String {
    v.sort();
    let p = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  (n={})",
        ms(p(0.5)),
        ms(p(0.99)),
        ms(p(1.0)),
        v.len()
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn project_dir(home: &Path) -> PathBuf {
    home.join(".claude/projects/-bench-project")
}

fn session_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// 1,000 transcripts with one ordinary line each.
fn thousand_transcripts(home: &Path) {
    let dir = project_dir(home);
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..1000 {
        std::fs::write(
            dir.join(format!("{}.jsonl", session_id(i))),
            "{\"type\":\"mode\"}\n",
        )
        .unwrap();
    }
}

fn stop_line(session: &str, cwd: &Path) -> String {
    serde_json::json!({
        "type": "assistant", "isSidechain": false, "uuid": uuid(), "sessionId": session,
        "timestamp": Utc::now().to_rfc3339(), "cwd": cwd, "isApiErrorMessage": true, "error": "server_error",
        "apiErrorStatus": 529,
        "message": {"model": "<synthetic>", "role": "assistant", "content": [{"type": "text", "text": "API Error: 529 Overloaded"}]}
    })
    .to_string()
}

fn uuid() -> String {
    format!("{:032x}", rand_u128())
}

fn rand_u128() -> u128 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    t.wrapping_mul(6364136223846793005)
}

fn rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap()
}

/// Context switches of each of the daemon's threads, by thread id.
fn context_switches(pid: u32) -> std::collections::BTreeMap<String, u64> {
    let mut by_thread = std::collections::BTreeMap::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let s = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        let switches: u64 = s
            .lines()
            .filter(|l| {
                l.starts_with("voluntary_ctxt_switches:")
                    || l.starts_with("nonvoluntary_ctxt_switches:")
            })
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        by_thread.insert(t.file_name().to_string_lossy().into_owned(), switches);
    }
    by_thread
}

/// Wake-ups between two samples: the switches of threads alive in both, plus one for each thread that started
/// or ended in between.
fn wake_ups(
    before: &std::collections::BTreeMap<String, u64>,
    after: &std::collections::BTreeMap<String, u64>,
) -> u64 {
    let kept: u64 = after
        .iter()
        .filter_map(|(tid, n)| Some(n.saturating_sub(*before.get(tid)?)))
        .sum();
    let started = after.keys().filter(|t| !before.contains_key(*t)).count();
    let ended = before.keys().filter(|t| !after.contains_key(*t)).count();
    kept + (started + ended) as u64
}

fn main() {
    println!(
        "palingenesis daemon benchmark ({})",
        env!("CARGO_PKG_VERSION")
    );
    let only = std::env::var("PALINGENESIS_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "latency" {
        latency();
    }
    if only.is_empty() || only == "size" {
        scale::binary_size();
    }
    if only.is_empty() || only == "scale" {
        scale::run();
    }
}

fn latency() {
    let quiet = "[resume]\nenabled = false\n";

    // Latency and idle behaviour.
    {
        let d = Daemon::start(quiet, thousand_transcripts);
        let mut s = UnixStream::connect(d.socket()).unwrap();
        frame(&mut s, HELLO);
        let mut warm = Vec::new();
        for _ in 0..2000 {
            let t = Instant::now();
            frame(&mut s, STATUS);
            warm.push(t.elapsed());
        }
        println!(
            "status round trip, one connection:      {}",
            percentiles(warm)
        );
        let mut cold = Vec::new();
        for _ in 0..500 {
            let t = Instant::now();
            let mut s = UnixStream::connect(d.socket()).unwrap();
            frame(&mut s, HELLO);
            frame(&mut s, STATUS);
            cold.push(t.elapsed());
        }
        println!(
            "status round trip, connect + handshake:  {}",
            percentiles(cold)
        );
        let mut cli = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            assert!(d.cli(&["status", "--json"]).status.success());
            cli.push(t.elapsed());
        }
        println!(
            "`palingenesis status` process, end to end: {}",
            percentiles(cli)
        );

        // Idle means after the tail of the work above: the state save after the burst, the watcher's first
        // dormancy sweep, blocking threads ending 10 s after their last job.
        std::thread::sleep(Duration::from_secs(12));
        let pid = d.pid();
        let before = context_switches(pid);
        std::thread::sleep(Duration::from_secs(5));
        let after = context_switches(pid);
        println!(
            "idle RSS with 1,000 transcripts watched: {:.1} MB",
            rss_kb(pid) as f64 / 1024.0
        );
        let woke = wake_ups(&before, &after);
        println!(
            "idle wake-ups over 5 s (all threads):    {woke} ({:.1}/s)",
            woke as f64 / 5.0
        );
    }

    // Detection latency.
    {
        let d = Daemon::start(quiet, thousand_transcripts);
        let dir = project_dir(&d.home);
        let mut lat = Vec::new();
        for k in 0..100 {
            let i = (k * 37) % 1000;
            let sid = session_id(i);
            let before = d
                .audit()
                .iter()
                .filter(|e| e["event"] == "StopDetected")
                .count();
            let appended_at = Utc::now();
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(dir.join(format!("{sid}.jsonl")))
                .unwrap();
            writeln!(f, "{}", stop_line(&sid, Path::new("/tmp"))).unwrap();
            drop(f);
            let end = Instant::now() + Duration::from_secs(10);
            let ev = loop {
                let evs: Vec<_> = d
                    .audit()
                    .into_iter()
                    .filter(|e| e["event"] == "StopDetected")
                    .collect();
                if evs.len() > before {
                    break evs.last().cloned().unwrap();
                }
                assert!(Instant::now() < end, "no StopDetected within 10 s");
                std::thread::sleep(Duration::from_millis(2));
            };
            let detected: DateTime<Utc> = ev["ts"].as_str().unwrap().parse().unwrap();
            lat.push((detected - appended_at).to_std().unwrap_or_default());
        }
        println!(
            "detection latency (append → StopDetected), 1,000 watched: {}",
            percentiles(lat)
        );
    }

    // Deadline → spawn.
    {
        let tmp = tempfile::tempdir().unwrap();
        let marks = tmp.path().join("spawned");
        std::fs::create_dir_all(&marks).unwrap();
        let agent = tmp.path().join("fake-claude");
        std::fs::write(
            &agent,
            format!(
                "#!/bin/sh\ndate +%s.%N > {}/$$\necho '{{\"type\":\"result\",\"is_error\":false}}'\n",
                marks.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let config = format!(
            "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 1\njitter = false\n[claude]\nbinary = \"{}\"\n",
            agent.display()
        );
        let d = Daemon::start(&config, |h| {
            std::fs::create_dir_all(project_dir(h)).unwrap()
        });
        let dir = project_dir(&d.home);
        let cwd = tmp.path().join("work");
        std::fs::create_dir_all(&cwd).unwrap();
        let mut lat = Vec::new();
        for i in 0..10 {
            let sid = session_id(5000 + i);
            std::fs::write(
                dir.join(format!("{sid}.jsonl")),
                format!("{}\n", stop_line(&sid, &cwd)),
            )
            .unwrap();
            let end = Instant::now() + Duration::from_secs(20);
            let (at, spawned) = loop {
                let sched = d
                    .audit()
                    .into_iter()
                    .find(|e| e["event"] == "ResumeScheduled" && e["session"] == sid.as_str());
                let mark = std::fs::read_dir(&marks)
                    .unwrap()
                    .flatten()
                    .map(|e| e.path())
                    .find(|p| std::fs::read_to_string(p).is_ok_and(|s| !s.trim().is_empty()));
                if let (Some(s), Some(m)) = (sched, mark) {
                    let at: DateTime<Utc> = s["metadata"]["at"].as_str().unwrap().parse().unwrap();
                    let secs: f64 = std::fs::read_to_string(&m).unwrap().trim().parse().unwrap();
                    std::fs::remove_file(&m).unwrap();
                    let spawned = DateTime::from_timestamp_micros((secs * 1e6) as i64).unwrap();
                    break (at, spawned);
                }
                assert!(Instant::now() < end, "no resume spawn within 20 s");
                std::thread::sleep(Duration::from_millis(5));
            };
            lat.push((spawned - at).to_std().unwrap_or_default());
        }
        println!(
            "deadline → resume process start:        {}",
            percentiles(lat)
        );
    }
}

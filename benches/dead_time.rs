//! Dead time from the true reset to the resumed request, per kind of instant: prints figures, asserts
//! nothing. Run with `cargo bench --bench dead_time`.
//!
//! A Claude transcript gets a usage-limit stop; the stand-in agent the daemon resumes with records when it
//! starts. Dead time = that start − the reset the stop announced.
//! - exact instant (the epoch form `Claude AI usage limit reached|<epoch>`): margin about a second plus
//!   up to half a second of jitter (`[resume] exact_margin_ms`, `exact_jitter_ms`);
//! - minute-resolution banner (`resets 4:31pm`): margin up to a minute (`[resume] reset_margin_secs`).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Timelike, Utc};

mod support;
use support::Daemon;

fn project_dir(home: &Path) -> std::path::PathBuf {
    home.join(".claude/projects/-bench")
}

fn limit_line(session: &str, cwd: &Path, text: &str) -> String {
    serde_json::json!({
        "type": "assistant", "isSidechain": false, "uuid": format!("{session}-stop"), "sessionId": session,
        "timestamp": Utc::now().to_rfc3339(), "cwd": cwd, "isApiErrorMessage": true, "error": "rate_limit",
        "apiErrorStatus": 429,
        "message": {"model": "<synthetic>", "role": "assistant", "content": [{"type": "text", "text": text}]}
    })
    .to_string()
}

/// Write a stop announcing `text` and wait for the stand-in agent to start; its start time.
fn resumed_after(d: &Daemon, marks: &Path, cwd: &Path, session: &str, text: &str) -> DateTime<Utc> {
    std::fs::write(
        project_dir(&d.home).join(format!("{session}.jsonl")),
        format!("{}\n", limit_line(session, cwd, text)),
    )
    .unwrap();
    let end = Instant::now() + Duration::from_secs(180);
    loop {
        let mark = std::fs::read_dir(marks)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| std::fs::read_to_string(p).is_ok_and(|s| !s.trim().is_empty()));
        if let Some(m) = mark {
            let secs: f64 = std::fs::read_to_string(&m).unwrap().trim().parse().unwrap();
            std::fs::remove_file(&m).unwrap();
            return DateTime::from_timestamp_micros((secs * 1e6) as i64).unwrap();
        }
        assert!(Instant::now() < end, "no resume within 180 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn main() {
    println!(
        "palingenesis dead-time benchmark ({})",
        env!("CARGO_PKG_VERSION")
    );
    let tmp = tempfile::tempdir().unwrap();
    let (agent, marks) = support::stand_in_agent(tmp.path());
    let config = format!("[claude]\nbinary = \"{}\"\n", agent.display());
    let d = Daemon::start(&config, |h| {
        std::fs::create_dir_all(project_dir(h)).unwrap()
    });
    let cwd = tmp.path().join("work");
    std::fs::create_dir_all(&cwd).unwrap();

    let mut exact = Vec::new();
    for i in 0..5 {
        let reset = Utc::now().timestamp() + 3;
        let text = format!("Claude AI usage limit reached|{reset}");
        let started = resumed_after(
            &d,
            &marks,
            &cwd,
            &format!("00000000-0000-4000-8000-00000000010{i}"),
            &text,
        );
        exact.push((started - DateTime::from_timestamp(reset, 0).unwrap()).num_milliseconds());
    }
    println!(
        "exact reset (epoch) → resumed agent start: {}",
        figures(exact)
    );

    let reset = {
        let t = Utc::now() + chrono::Duration::seconds(5);
        t.with_second(0).unwrap().with_nanosecond(0).unwrap() + chrono::Duration::minutes(1)
    };
    let text = format!(
        "You've hit your session limit · resets {} (UTC)",
        reset.format("%-I:%M%P")
    );
    let started = resumed_after(
        &d,
        &marks,
        &cwd,
        "00000000-0000-4000-8000-000000000200",
        &text,
    );
    println!(
        "minute banner reset → resumed agent start: {} ms",
        (started - reset).num_milliseconds()
    );
}

fn figures(mut ms: Vec<i64>) -> String {
    ms.sort_unstable();
    format!(
        "min {} ms, median {} ms, max {} ms",
        ms[0],
        ms[ms.len() / 2],
        ms[ms.len() - 1]
    )
}

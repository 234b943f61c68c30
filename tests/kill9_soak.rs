//! Exactly-once under kill -9, driven from outside: the real daemon, a stand-in `claude` that logs every resume
//! it is asked for, and the daemon killed with SIGKILL at the moments that used to lose or double a resume
//! (right after a stop is detected, right after a resume is started, right after its process is spawned, and
//! at random), restarted each time. Every session must be resumed exactly once, counted from the stand-in's
//! log. The figures are in docs/robustness.md.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::home::{Home, alive, wait_until};

/// A `claude` that logs its `--resume` id, stays busy a little (so kills land while it runs), writes a turn
/// to the session's transcript and reports success.
fn logging_claude(dir: &Path, project: &Path, log: &Path) -> PathBuf {
    let bin = dir.join("logging-claude");
    let script = format!(
        r#"#!/bin/sh
id=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--resume" ]; then id="$2"; shift; fi
  shift
done
echo "$id" >> "{log}"
sleep 0.4
ts=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
printf '{{"type":"assistant","isSidechain":false,"sessionId":"%s","cwd":"/tmp","timestamp":"%s","message":{{"model":"claude","role":"assistant","content":[{{"type":"text","text":"resumed"}}]}}}}\n' "$id" "$ts" >> "{project}/$id.jsonl"
printf '{{"type":"result","subtype":"success","is_error":false,"session_id":"%s","result":"resumed"}}\n' "$id"
"#,
        log = log.display(),
        project = project.display()
    );
    std::fs::write(&bin, script).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn stop(project: &Path, session: &str) {
    let line = serde_json::json!({
        "type": "assistant", "isSidechain": false, "sessionId": session, "cwd": "/tmp",
        "timestamp": chrono::Utc::now().to_rfc3339(), "isApiErrorMessage": true, "error": "server_error",
        "message": {"model": "<synthetic>", "role": "assistant",
            "content": [{"type": "text", "text": "API Error: 529 Overloaded"}]}
    });
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(project.join(format!("{session}.jsonl")))
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

fn resumes_logged(log: &Path, session: &str) -> usize {
    support::home::read(log)
        .lines()
        .filter(|l| *l == session)
        .count()
}

fn audit_has(home: &Home, kind: &str, session: &str) -> bool {
    // Read the trail directly: the daemon may be dead.
    support::home::read(&home.paths().audit_file())
        .lines()
        .any(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .is_ok_and(|e| e["event"] == kind && e["session"] == session)
        })
}

/// Where the daemon is killed in one round.
#[derive(Clone, Copy, Debug)]
enum KillPoint {
    /// As soon as the stop is in the audit trail.
    AfterDetection,
    /// As soon as the resume is in the audit trail (its process about to be spawned).
    AfterResumeStarted,
    /// As soon as the stand-in logged the resume (its process runs).
    AfterSpawn,
    /// After a random delay of up to 1.5 s.
    Random(u64),
}

fn kill9(home: &Home) {
    let pid = home.daemon_pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_until(Duration::from_secs(10), || !alive(pid));
}

#[test]
fn every_session_is_resumed_exactly_once_through_repeated_kill_9() {
    const SESSIONS: usize = 20;
    let home = Home::new();
    let project = home.user_home().join(".claude/projects/-tmp");
    std::fs::create_dir_all(&project).unwrap();
    let log = home.dir.join("resumes.log");
    let bin = logging_claude(&home.dir, &project, &log);
    home.write_config(&format!(
        "[monitoring]\nassistants = [\"claude\"]\n\
         [resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nverify_timeout_secs = 30\n\
         [claude]\nbinary = \"{}\"\n",
        bin.display()
    ));
    home.start();
    let sessions: Vec<String> = (0..SESSIONS)
        .map(|i| format!("5e55{i:04}-0000-4000-8000-000000000000"))
        .collect();
    let mut kills = 0;
    for (i, session) in sessions.iter().enumerate() {
        let point = match i % 4 {
            0 => KillPoint::AfterDetection,
            1 => KillPoint::AfterResumeStarted,
            2 => KillPoint::AfterSpawn,
            _ => KillPoint::Random(rand::random_range(0..1500)),
        };
        stop(&project, session);
        let deadline = Instant::now() + Duration::from_secs(30);
        let reached = |home: &Home| match point {
            KillPoint::AfterDetection => audit_has(home, "StopDetected", session),
            KillPoint::AfterResumeStarted => audit_has(home, "ResumeStarted", session),
            KillPoint::AfterSpawn => resumes_logged(&log, session) > 0,
            KillPoint::Random(_) => true,
        };
        if let KillPoint::Random(ms) = point {
            std::thread::sleep(Duration::from_millis(ms));
        }
        while !reached(&home) {
            assert!(
                Instant::now() < deadline,
                "{point:?} never reached for {session}\n{}",
                home.log()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        kill9(&home);
        kills += 1;
        home.start();
    }
    // Every session ends verified, and the stand-in ran once for each (a session never verified is
    // reported below as lost or doubled).
    support::wait::wait_until(Duration::from_secs(60), || {
        sessions
            .iter()
            .all(|s| audit_has(&home, "ResumeCompleted", s))
    });
    let counts: Vec<(String, usize)> = sessions
        .iter()
        .map(|s| (s.clone(), resumes_logged(&log, s)))
        .collect();
    let lost = counts.iter().filter(|(_, n)| *n == 0).count();
    let doubled = counts.iter().filter(|(_, n)| *n > 1).count();
    eprintln!("kill -9 soak: {SESSIONS} sessions, {kills} kills, lost {lost}, duplicate {doubled}");
    assert_eq!(
        (lost, doubled),
        (0, 0),
        "resumes per session: {counts:?}\naudit:\n{}\nlog:\n{}",
        support::home::read(&home.paths().audit_file()),
        home.log()
    );
    home.ok(&["daemon", "stop"]);
}

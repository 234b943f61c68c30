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

/// A `claude` that starts new sessions: logs the `--session-id` it is given, stays busy (so the kill lands
/// while it runs), then writes the new session's first turn into its transcript
/// (`~/.claude/projects/<its working directory as a folder name>/<id>.jsonl`) and reports success.
fn new_session_claude(dir: &Path, log: &Path) -> PathBuf {
    let bin = dir.join("new-session-claude");
    let script = format!(
        r#"#!/bin/sh
id=""
while [ $# -gt 0 ]; do
  case "$1" in
    --session-id) id="$2"; shift ;;
    --resume) echo "resume $2" >> "{log}"; shift ;;
  esac
  shift
done
echo "new $id" >> "{log}"
sleep 1.5
folder="$HOME/.claude/projects/$(pwd | sed 's/[^A-Za-z0-9]/-/g')"
mkdir -p "$folder"
ts=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
printf '{{"type":"assistant","isSidechain":false,"sessionId":"%s","cwd":"%s","timestamp":"%s","message":{{"model":"claude","role":"assistant","content":[{{"type":"text","text":"picked up from Next-step.md"}}]}}}}\n' "$id" "$(pwd)" "$ts" >> "$folder/$id.jsonl"
printf '{{"type":"result","subtype":"success","is_error":false,"session_id":"%s","result":"done"}}\n' "$id"
"#,
        log = log.display(),
    );
    std::fs::write(&bin, script).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// The new session an attempt started for `replaced` (from its `SessionCreated` event), once there is one.
fn successor_in_audit(home: &Home, replaced: &str) -> Option<String> {
    support::home::read(&home.paths().audit_file())
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "SessionCreated" && e["metadata"]["replaces"] == replaced)
        .and_then(|e| e["session"].as_str().map(str::to_string))
}

/// Killed right after an attempt's new session took over (the context ran out, a new session was started
/// from the next-step notes) and before the state was saved, the restarted daemon judges the attempt by the
/// new session: it is verified once the new session writes, and no second new session is started for the
/// stopped one.
#[test]
fn a_new_session_started_before_a_kill_9_is_the_one_judged_after_it() {
    const ROUNDS: usize = 3;
    let home = Home::new();
    let work = home.dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("Next-step.md"),
        "# Next step\nFinish the parser.\n",
    )
    .unwrap();
    let folder: String = work
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let project = home.user_home().join(".claude/projects").join(folder);
    std::fs::create_dir_all(&project).unwrap();
    let log = home.dir.join("claude.log");
    let bin = new_session_claude(&home.dir, &log);
    home.write_config(&format!(
        "[monitoring]\nassistants = [\"claude\"]\n\
         [resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nverify_timeout_secs = 30\ncontext_strategy = \"new_session\"\n\
         [claude]\nbinary = \"{}\"\n",
        bin.display()
    ));
    home.start();
    let mut before_save = 0;
    let mut successors = Vec::new();
    for round in 0..ROUNDS {
        let old = format!("c0de{round:04}-0000-4000-8000-000000000000");
        let line = serde_json::json!({
            "type": "assistant", "isSidechain": false, "sessionId": old, "cwd": work,
            "timestamp": chrono::Utc::now().to_rfc3339(), "isApiErrorMessage": true,
            "error": "invalid_request", "apiErrorStatus": 400,
            "message": {"model": "<synthetic>", "role": "assistant",
                "content": [{"type": "text", "text": "Prompt is too long"}]}
        });
        std::fs::write(project.join(format!("{old}.jsonl")), format!("{line}\n")).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let new = loop {
            if let Some(new) = successor_in_audit(&home, &old) {
                break new;
            }
            assert!(
                Instant::now() < deadline,
                "no new session for {old}\n{}",
                home.log()
            );
            std::thread::sleep(Duration::from_millis(1));
        };
        kill9(&home);
        // The state is saved 200 ms after a change: most kills land before it knew the new session.
        if !support::home::read(&home.paths().state_file()).contains(&new) {
            before_save += 1;
        }
        home.start();
        support::wait::wait_until(Duration::from_secs(30), || {
            audit_has(&home, "ResumeCompleted", &new)
        });
        successors.push(new);
    }
    let asked = support::home::read(&log);
    let started: Vec<&str> = asked.lines().filter(|l| l.starts_with("new ")).collect();
    assert_eq!(
        started.len(),
        ROUNDS,
        "one new session per stopped session, none resumed: {asked}\naudit:\n{}\nlog:\n{}",
        support::home::read(&home.paths().audit_file()),
        home.log()
    );
    for new in &successors {
        assert!(asked.contains(&format!("new {new}")), "{asked}");
    }
    assert!(
        before_save > 0,
        "every kill landed after the state was saved: the take-over was never recovered from the journal"
    );
    home.ok(&["daemon", "stop"]);
}

//! Commands say what actually happened, with exit codes to match, seen as a user sees them: a new session
//! that cannot be seeded starts nothing and says why, its prompt names the real stop, `abort` twice finds
//! nothing pending, `resume SESSION` resumes that session now, and un-pausing has its own audit name.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use support::home::{Home, wait_until};

const SESSION: &str = "7a1b2c3d-0000-4000-8000-000000000001";

/// A daemon watching Claude whose `binary` records its arguments, and a Claude session in `project` that
/// stopped at a usage limit (so it waits for the reset).
fn stopped_at_a_usage_limit() -> (Home, std::path::PathBuf) {
    let home = Home::new();
    let project = home.dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let agent = home.dir.join("agent.sh");
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\n",
            home.dir.join("args.txt").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    home.write_config(&format!(
        "[monitoring]\nassistants = [\"claude\"]\n[claude]\nbinary = \"{}\"\n",
        agent.display()
    ));
    home.start();
    let dir = home.user_home().join(".claude/projects/-project");
    std::fs::create_dir_all(&dir).unwrap();
    let line = serde_json::json!({
        "type": "assistant", "isSidechain": false, "sessionId": SESSION, "cwd": project,
        "timestamp": chrono::Utc::now().to_rfc3339(), "isApiErrorMessage": true, "error": "rate_limit",
        "message": {"model": "<synthetic>", "role": "assistant",
            "content": [{"type": "text", "text": "You've hit your session limit · resets 12:57am (UTC)"}]}
    });
    std::fs::write(dir.join(format!("{SESSION}.jsonl")), format!("{line}\n")).unwrap();
    home.wait_event("ResumeScheduled");
    (home, project)
}

#[test]
fn new_session_without_notes_starts_nothing_and_says_why() {
    let (home, project) = stopped_at_a_usage_limit();
    let (code, out, err) = home.run(&["new-session", &SESSION[..8]]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("nothing started"), "{err}");
    assert!(err.contains("Next-step.md"), "{err}");
    assert!(
        err.contains(&format!("palingenesis resume {SESSION}")),
        "{err}"
    );
    assert!(home.events_of("ResumeStarted").is_empty());
    assert!(home.events_of("NeedsAttention").is_empty());
    let sessions: serde_json::Value =
        serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    assert_eq!(sessions["sessions"][0]["state"], "waiting", "{sessions}");

    // With notes, it starts, and the prompt names the stop that happened.
    std::fs::write(project.join("Next-step.md"), "Write the tests.\n").unwrap();
    let out = home.ok(&["new-session", &SESSION[..8]]);
    assert!(out.contains("new_session started"), "{out}");
    let args = home.dir.join("args.txt");
    wait_until(Duration::from_secs(20), || args.exists());
    wait_until(Duration::from_secs(5), || {
        support::home::read(&args).contains("Write the tests.")
    });
    let args = support::home::read(&args);
    assert!(args.contains("because it reached a usage limit."), "{args}");
    assert!(!args.contains("context window"), "{args}");
}

#[test]
fn abort_twice_finds_nothing_pending_the_second_time() {
    let (home, _) = stopped_at_a_usage_limit();
    let out = home.ok(&["abort", SESSION]);
    assert!(out.contains("pending action cancelled"), "{out}");
    let out = home.ok(&["abort", SESSION]);
    assert!(out.contains("nothing pending to cancel"), "{out}");
    assert!(out.contains("nothing changed"), "{out}");
    assert_eq!(home.events_of("ResumeCancelled").len(), 1);
}

#[test]
fn resume_with_a_session_resumes_it_and_without_one_unpauses() {
    let (home, _) = stopped_at_a_usage_limit();
    let out = home.ok(&["resume", &SESSION[..8]]);
    assert!(out.contains("resume_same_session started"), "{out}");
    let started = home.wait_event("ResumeStarted");
    assert_eq!(started["action"], "resume_same_session", "{started}");
    let args = home.dir.join("args.txt");
    wait_until(Duration::from_secs(20), || {
        support::home::read(&args).contains(SESSION)
    });

    home.ok(&["pause"]);
    let out = home.ok(&["resume"]);
    assert!(out.contains("resumed automatic actions"), "{out}");
    home.wait_event("Unpaused");
    assert!(home.events_of("Resumed").is_empty());
    let typed = home.ok(&["events", "--type", "Resumed", "--json"]);
    assert!(
        typed.contains("\"Unpaused\""),
        "the old name still finds it: {typed}"
    );
}

/// A resume is verified by the resumed session's own turn, not by lines from before the stop that were read
/// late (a busy machine read the transcript's last lines after the attempt had started).
#[test]
fn a_resume_is_verified_by_its_own_turn_not_by_older_lines_read_late() {
    const RESUMED: &str = "7a1b2c3d-0000-4000-8000-000000000002";
    let home = Home::new();
    let project = home.dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let dir = home.user_home().join(".claude/projects/-project");
    std::fs::create_dir_all(&dir).unwrap();
    let transcript = dir.join(format!("{RESUMED}.jsonl"));
    let (started, go) = (home.dir.join("started"), home.dir.join("go"));
    // A `claude` that says it started, waits for the test's go, then writes its turn and reports success.
    let agent = home.dir.join("agent.sh");
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\ntouch {started}\nwhile [ ! -e {go} ]; do sleep 0.05; done\n\
             printf '{{\"type\":\"assistant\",\"isSidechain\":false,\"sessionId\":\"{RESUMED}\",\"cwd\":\"{cwd}\",\"timestamp\":\"%s\",\"message\":{{\"model\":\"claude\",\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"resumed\"}}]}}}}\\n' \"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)\" >> {transcript}\n\
             printf '{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"session_id\":\"{RESUMED}\",\"result\":\"ok\"}}\\n'\n",
            started = started.display(),
            go = go.display(),
            cwd = project.display(),
            transcript = transcript.display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    home.write_config(&format!(
        "[monitoring]\nassistants = [\"claude\"]\n\
         [resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 1\njitter = false\nverify_timeout_secs = 60\n\
         [claude]\nbinary = \"{}\"\n",
        agent.display()
    ));
    home.start();
    let stopped_at = chrono::Utc::now();
    let line = |at: chrono::DateTime<chrono::Utc>, text: &str, error: bool| {
        let mut l = serde_json::json!({
            "type": "assistant", "isSidechain": false, "sessionId": RESUMED, "cwd": project,
            "timestamp": at.to_rfc3339(),
            "message": {"model": "claude", "role": "assistant", "content": [{"type": "text", "text": text}]}
        });
        if error {
            l["isApiErrorMessage"] = true.into();
            l["error"] = "server_error".into();
            l["message"]["model"] = "<synthetic>".into();
        }
        format!("{l}\n")
    };
    std::fs::write(
        &transcript,
        line(stopped_at, "API Error: 529 Overloaded", true),
    )
    .unwrap();
    wait_until(Duration::from_secs(30), || started.exists());
    // A line from before the stop, read only now.
    let stale = line(
        stopped_at - chrono::Duration::seconds(5),
        "still working",
        false,
    );
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&transcript)
        .unwrap();
    std::io::Write::write_all(&mut f, stale.as_bytes()).unwrap();
    drop(f);
    wait_until(Duration::from_secs(30), || {
        home.log().contains("progress from before the stop")
            || !home.events_of("ResumeCompleted").is_empty()
    });
    assert!(
        home.events_of("ResumeCompleted").is_empty(),
        "verified by a line from before the stop:\n{}",
        home.log()
    );
    std::fs::write(&go, "").unwrap();
    home.wait_event("ResumeCompleted");
    home.ok(&["daemon", "stop"]);
}

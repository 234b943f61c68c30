//! Faults and hostile input, driven from outside as an unlucky or hostile user would: the real binary in an
//! isolated home, absurd numbers in config and transcripts, records from the future.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::home::Home;

const SESSION: &str = "11111111-2222-4333-8444-555555555555";

/// A `claude` that stays busy, so a resume stays in flight while the test writes lines.
fn slow_claude(dir: &Path) -> PathBuf {
    let bin = dir.join("slow-claude");
    std::fs::write(&bin, "#!/bin/sh\nexec sleep 60\n").unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

struct Transcript {
    path: PathBuf,
    cwd: String,
}

impl Transcript {
    fn new(home: &Home) -> Transcript {
        let project = home.user_home().join(".claude/projects/-work");
        std::fs::create_dir_all(&project).unwrap();
        Transcript {
            path: project.join(format!("{SESSION}.jsonl")),
            cwd: home.dir.display().to_string(),
        }
    }

    fn append(&self, mut line: serde_json::Value) {
        line["sessionId"] = SESSION.into();
        line["cwd"] = self.cwd.clone().into();
        line["isSidechain"] = false.into();
        if line.get("timestamp").is_none() {
            line["timestamp"] = chrono::Utc::now().to_rfc3339().into();
        }
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    }

    fn server_error(&self) {
        self.append(serde_json::json!({
            "type": "assistant", "isApiErrorMessage": true, "error": "server_error",
            "message": {"model": "<synthetic>", "role": "assistant",
                "content": [{"type": "text", "text": "API Error: 529 Overloaded"}]}
        }));
    }
}

fn home_with_slow_claude() -> Home {
    let home = Home::new();
    let bin = slow_claude(&home.dir);
    home.write_config(&format!(
        "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nverify_timeout_secs = 60\n\
         [claude]\nbinary = \"{}\"\n",
        bin.display()
    ));
    home.start();
    home
}

#[test]
fn config_validate_rejects_durations_beyond_their_bound_with_their_place() {
    let home = Home::new();
    home.write_config("[resume]\nmax_retries = 3\nverify_timeout_secs = 100000000\n");
    let (code, out, err) = home.run(&["config", "validate"]);
    assert_ne!(code, 0, "{out}");
    let file = home.paths().config_file.display().to_string();
    assert!(err.contains(&format!("{file}:3:")), "{err}");
    assert!(err.contains("resume.verify_timeout_secs"), "{err}");
    let (code, _, err) = home.run(&["daemon", "start"]);
    assert_ne!(code, 0, "the daemon refuses the config too: {err}");
}

#[test]
fn an_absurd_retry_delay_while_resuming_neither_kills_the_engine_nor_hides_later_stops() {
    let home = home_with_slow_claude();
    let t = Transcript::new(&home);
    t.server_error();
    home.wait_event("ResumeStarted");

    // Three years, as a hostile or broken line would say.
    t.append(serde_json::json!({
        "type": "system", "subtype": "api_retry", "retry_delay_ms": 94_608_000_000u64,
        "attempt": 1, "max_retries": 10, "error": "overloaded"
    }));
    // A real stop after it: the engine must still be there to see it.
    t.server_error();
    home.wait_events("StopDetected", 2, Duration::from_secs(30));
    let status: serde_json::Value = serde_json::from_str(&home.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["mode"], "monitoring", "{status}");
    assert!(
        home.log().contains("more than 40 days ahead"),
        "the clamp is reported:\n{}",
        home.log()
    );
    home.ok(&["daemon", "stop"]);
}

#[test]
fn a_stop_dated_in_the_future_does_not_poison_the_session() {
    let home = home_with_slow_claude();
    let t = Transcript::new(&home);
    t.append(serde_json::json!({
        "type": "assistant", "isApiErrorMessage": true, "error": "server_error",
        "timestamp": "2099-01-01T00:00:00Z",
        "message": {"model": "<synthetic>", "role": "assistant",
            "content": [{"type": "text", "text": "API Error: 529 Overloaded"}]}
    }));
    home.wait_event("StopDetected");
    t.append(serde_json::json!({
        "type": "assistant",
        "message": {"model": "claude", "role": "assistant", "content": [{"type": "text", "text": "working"}]}
    }));
    t.server_error();
    let stops = home.wait_events("StopDetected", 2, Duration::from_secs(30));
    let year = |e: &serde_json::Value| e["metadata"]["at"].as_str().unwrap_or("").to_string();
    assert!(
        stops.iter().all(|e| !year(e).starts_with("2099")),
        "the forged date is not kept: {stops:?}"
    );
}

#[test]
fn config_show_hides_agent_env_values() {
    let home = Home::new();
    home.write_config(
        "[claude]\nenv = { ANTHROPIC_API_KEY = \"sk-ant-s3cret\" }\n[codex]\nenv = { OPENAI_API_KEY = \"sk-s3cret\" }\n",
    );
    for args in [&["config", "show"][..], &["config", "show", "--json"][..]] {
        let shown = home.ok(args);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("ANTHROPIC_API_KEY"), "{shown}");
    }
}

/// Raise this process's open-file soft limit to its hard limit; returns it.
fn raise_own_fd_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    let target = hard.min(1 << 20);
    setrlimit(Resource::RLIMIT_NOFILE, target, hard).unwrap();
    target
}

/// A home whose config serves HTTP on a free port with the token `t0ken` (not started).
fn home_with_http() -> (Home, u16) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let home = Home::new();
    home.write_config(&format!(
        "[http]\nenabled = true\nbind = \"127.0.0.1:{port}\"\ntoken = \"t0ken\"\n"
    ));
    (home, port)
}

#[test]
fn floods_of_idle_connections_neither_lock_out_the_cli_nor_hide_stops() {
    let (home, port) = home_with_http();
    // A daemon that may hold 1024 descriptors at most, as on many machines: the flood below exceeds that.
    let mut start = home.command(&[]);
    let start = start
        .env("PALINGENESIS_TEST_BIN", support::home::BIN)
        .args([
            "-c",
            "ulimit -n 1024 && exec \"$PALINGENESIS_TEST_BIN\" daemon start",
        ]);
    let mut sh = std::process::Command::new("sh");
    sh.args(start.get_args())
        .envs(start.get_envs().filter_map(|(k, v)| Some((k, v?))));
    let out = sh.output().unwrap();
    assert!(out.status.success(), "{out:?}");

    let per_listener = ((raise_own_fd_limit().saturating_sub(300)) / 2).min(1_100) as usize;
    assert!(
        per_listener > 600,
        "this machine allows too few descriptors for the test"
    );
    let socket = home.paths().socket();
    let idle_unix: Vec<_> = (0..per_listener)
        .map(|_| std::os::unix::net::UnixStream::connect(&socket).unwrap())
        .collect();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let idle_tcp: Vec<_> = (0..per_listener)
        .map_while(|_| std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok())
        .collect();
    // Past the daemon's 256 connections, the kernel's backlog fills and further connects time out.
    assert!(idle_tcp.len() > 256, "only {} connections", idle_tcp.len());

    // The CLI still gets through, and file watching still works.
    let status = home.ok(&["status"]);
    assert!(status.contains("monitoring"), "{status}");
    let t = Transcript::new(&home);
    t.append(serde_json::json!({
        "type": "assistant", "isApiErrorMessage": true, "error": "billing_error",
        "message": {"model": "<synthetic>", "role": "assistant",
            "content": [{"type": "text", "text": "Credit balance is too low"}]}
    }));
    home.wait_event("StopDetected");
    assert!(home.ok(&["status"]).contains("monitoring"));
    drop(idle_unix);
    drop(idle_tcp);

    // Once the flood is gone, HTTP answers again.
    support::home::wait_until(Duration::from_secs(30), || http_status_ok(addr));
    home.ok(&["daemon", "stop"]);
}

fn http_status_ok(addr: std::net::SocketAddr) -> bool {
    http_get(addr, "/api/v1/status").starts_with("HTTP/1.1 200")
}

/// A raw HTTP/1.1 GET with the test token; the whole reply, or "" when the server does not answer.
fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t0ken\r\nConnection: close\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_err() {
        return String::new();
    }
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply
}

#[test]
fn garbage_is_counted_and_a_torn_line_does_not_swallow_the_next_record() {
    let (home, port) = home_with_http();
    home.start();
    let t = Transcript::new(&home);
    t.append(serde_json::json!({"type": "user", "message": {"role": "user", "content": "hi"}}));
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&t.path)
            .unwrap();
        // A line that is not JSON, then a writer that died mid-line (no newline)…
        write!(
            f,
            "not json at all\n{{\"type\":\"assistant\",\"message\":{{\"content\":[{{\"ty"
        )
        .unwrap();
    }
    // …and the next writer's whole record, appended right after the torn one.
    t.append(serde_json::json!({
        "type": "assistant", "isApiErrorMessage": true, "error": "billing_error",
        "message": {"model": "<synthetic>", "role": "assistant",
            "content": [{"type": "text", "text": "Credit balance is too low"}]}
    }));
    home.wait_event("NeedsAttention");

    let health: serde_json::Value = serde_json::from_str(&home.ok(&["health", "--json"])).unwrap();
    let check = health["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "garbage:claude-transcripts")
        .unwrap_or_else(|| panic!("{health}"))
        .clone();
    assert_eq!(check["detail"], "2 unusable lines skipped", "{health}");
    let metrics = http_get(format!("127.0.0.1:{port}").parse().unwrap(), "/metrics");
    assert!(
        metrics.contains("palingenesis_garbage_lines_total{source=\"claude-transcripts\"} 2"),
        "{metrics}"
    );
    home.ok(&["daemon", "stop"]);
}

/// A `claude` that logs every resume it is asked for to `log` and reports success.
fn logging_claude(dir: &Path, log: &Path) -> PathBuf {
    let bin = dir.join("logging-claude");
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\necho \"$*\" >> \"{}\"\n\
             echo '{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"ok\"}}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn a_symlinked_project_directory_neither_replays_history_nor_keeps_alias_offsets() {
    let home = Home::new();
    let log = home.dir.join("resumes.log");
    let bin = logging_claude(&home.dir, &log);
    // Catch-up off: the stop already on disk at start-up is history, whatever path reaches it.
    home.write_config(&format!(
        "[monitoring]\nassistants = [\"claude\"]\ncatch_up_secs = 0\n\
         [resume]\nbackoff_base_secs = 1\njitter = false\n[claude]\nbinary = \"{}\"\n",
        bin.display()
    ));
    let t = Transcript::new(&home);
    t.server_error();
    let projects = home.user_home().join(".claude/projects");
    let alias_file = projects.join(format!("alias/{SESSION}.jsonl"));
    // A state file from before: an offset kept under the alias's spelling.
    let state = serde_json::json!({"version": 1, "data": {
        "offsets": { alias_file.display().to_string(): 5 }
    }});
    std::fs::create_dir_all(home.paths().state_dir).unwrap();
    std::fs::write(home.paths().state_file(), state.to_string()).unwrap();
    std::os::unix::fs::symlink(projects.join("-work"), projects.join("alias")).unwrap();
    home.start();
    // A second alias appearing while the daemon runs: its files are not new either.
    std::os::unix::fs::symlink(projects.join("-work"), projects.join("alias2")).unwrap();
    // Written through the alias: one new line of the one file.
    let through_alias = Transcript {
        path: alias_file.clone(),
        cwd: t.cwd.clone(),
    };
    through_alias.append(serde_json::json!({
        "type": "assistant",
        "message": {"model": "claude", "role": "assistant", "content": [{"type": "text", "text": "working"}]}
    }));
    through_alias.server_error();
    let stops = home.wait_events("StopDetected", 1, Duration::from_secs(30));
    home.wait_event("ResumeCompleted");
    home.ok(&["daemon", "stop"]);

    assert_eq!(stops.len(), 1, "only the new stop is news: {stops:?}");
    let resumes = support::home::read(&log);
    assert_eq!(resumes.lines().count(), 1, "resumed once: {resumes}");
    let state = support::home::read(&home.paths().state_file());
    assert!(
        !state.contains("/alias/"),
        "no offset kept under the alias:\n{state}"
    );
    assert!(
        state.contains(&format!("-work/{SESSION}.jsonl")),
        "the file's own spelling is kept:\n{state}"
    );
}

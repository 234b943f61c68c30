//! The MCP server end to end: `palingenesis mcp` spoken to over stdio with JSON-RPC, as an MCP client would,
//! steering the real daemon.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use serde_json::{Value, json};
use support::home::Home;

struct Mcp {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
    next_id: u64,
}

impl Mcp {
    fn start(home: &Home) -> Mcp {
        Mcp::spawn(home.command(&["mcp"]))
    }

    /// An MCP server launched the way an agent launches it: in `cwd`, with `env` added.
    fn spawn(mut command: std::process::Command) -> Mcp {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut mcp = Mcp {
            child,
            out,
            next_id: 1,
        };
        let init = mcp.call(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
        );
        assert_eq!(
            init["result"]["serverInfo"]["name"], "palingenesis",
            "{init}"
        );
        mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        mcp
    }

    fn send(&mut self, v: Value) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{v}").unwrap();
        stdin.flush().unwrap();
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            assert!(
                self.out.read_line(&mut line).unwrap() > 0,
                "the MCP server closed stdout"
            );
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["id"] == id {
                return v;
            }
        }
    }

    fn tool(&mut self, name: &str, args: Value) -> (bool, String) {
        let r = self.call("tools/call", json!({"name": name, "arguments": args}));
        let result = &r["result"];
        (
            result["isError"].as_bool().unwrap_or(false),
            result["content"][0]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    }
}

impl Drop for Mcp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn mcp_tools_drive_the_daemon() {
    let home = Home::new();
    home.start();
    let mut mcp = Mcp::start(&home);

    let tools = mcp.call("tools/list", json!({}));
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for want in [
        "status",
        "sessions",
        "pause",
        "resume",
        "skip",
        "abort",
        "forget_session",
        "new_session",
        "events",
        "session_status",
        "quota_status",
        "checkpoint",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }

    let (err, text) = mcp.tool("status", json!({}));
    assert!(!err, "{text}");
    assert!(text.contains("\"monitoring\""), "{text}");
    let (err, text) = mcp.tool("pause", json!({}));
    assert!(!err && text.contains("paused"), "{text}");
    assert!(
        home.ok(&["status"]).contains("PAUSED"),
        "MCP and CLI share the daemon"
    );
    let (err, text) = mcp.tool("skip", json!({"session": "nope"}));
    assert!(err && text.contains("no tracked session"), "{text}");
    let (err, text) = mcp.tool("events", json!({"type": "Paused"}));
    assert!(!err && text.contains("\"Paused\""), "{text}");

    home.ok(&["daemon", "stop"]);
    let (err, text) = mcp.tool("status", json!({}));
    assert!(
        err && text.contains("not running"),
        "a stopped daemon is reported, not a crash: {text}"
    );
}

/// A started daemon watching Claude, and an empty project directory.
fn claude_home_with_project() -> (Home, std::path::PathBuf) {
    let home = Home::new();
    home.write_config("[monitoring]\nassistants = [\"claude\"]\n");
    home.start();
    let project = home.dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    (home, project)
}

/// A Claude session stopped on its 5-hour limit, in `project`, as its transcript records it.
fn claude_usage_limit_in(home: &Home, session: &str, project: &std::path::Path) {
    let resets = chrono::Utc::now() + chrono::Duration::hours(2);
    let text = format!(
        "You've hit your session limit · resets {} (UTC)",
        resets.format("%-I:%M%P")
    );
    let dir = home.user_home().join(".claude/projects/-project");
    std::fs::create_dir_all(&dir).unwrap();
    let line = json!({
        "type": "assistant", "isSidechain": false, "sessionId": session, "cwd": project,
        "timestamp": chrono::Utc::now().to_rfc3339(), "isApiErrorMessage": true, "error": "rate_limit",
        "message": {"model": "<synthetic>", "role": "assistant", "content": [{"type": "text", "text": text}]}
    });
    std::fs::write(dir.join(format!("{session}.jsonl")), format!("{line}\n")).unwrap();
}

#[test]
fn an_agent_asks_about_its_own_session_and_checkpoints() {
    let (home, project) = claude_home_with_project();
    std::fs::write(project.join("Next-step.md"), "old notes\n").unwrap();
    std::fs::write(
        project.join("workflow.md"),
        "---\nstepsCompleted: [1]\n---\n## Step 2: Parser\n## Step 3: Tests\n",
    )
    .unwrap();
    let session = "5e55a1d0-0000-4000-8000-00000000aa17";
    claude_usage_limit_in(&home, session, &project);
    home.wait_event("StopDetected");

    // Launched by Claude Code: in the project, with the session named in the environment.
    let mut command = home.command(&["mcp"]);
    command
        .current_dir(&project)
        .env("CLAUDE_CODE_SESSION_ID", session);
    let mut mcp = Mcp::spawn(command);
    let (err, text) = mcp.tool("session_status", json!({}));
    assert!(!err, "{text}");
    assert!(
        text.contains(session) && text.contains("found by session_id"),
        "{text}"
    );
    let (err, text) = mcp.tool("quota_status", json!({}));
    assert!(!err, "{text}");
    assert!(
        text.contains("limit: usage_limit (session), resets at"),
        "{text}"
    );
    assert!(
        text.contains("\"action\": \"resume_same_session\""),
        "{text}"
    );

    let (err, text) = mcp.tool(
        "checkpoint",
        json!({"next_step": "Step 3: write the parser tests in tests/parser.rs", "steps_completed": ["2"]}),
    );
    assert!(!err, "{text}");
    assert_eq!(
        std::fs::read_to_string(project.join("Next-step.md")).unwrap(),
        "Step 3: write the parser tests in tests/parser.rs\n"
    );
    assert!(
        std::fs::read_to_string(project.join("workflow.md"))
            .unwrap()
            .contains("- 2"),
        "the finished step is recorded in the workflow frontmatter"
    );
    let backups = home
        .paths()
        .backup_dir()
        .join(format!("checkpoint-{session}"));
    let kept: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(kept.contains(&"old notes\n".to_string()), "{kept:?}");
    let audit = home.wait_event("CheckpointWritten");
    assert_eq!(audit["session"], session, "{audit}");

    // Bad input: refused, nothing lost.
    let (err, text) = mcp.tool("checkpoint", json!({"next_step": "  "}));
    assert!(err && text.contains("empty"), "{text}");
    assert!(
        std::fs::read_to_string(project.join("Next-step.md"))
            .unwrap()
            .starts_with("Step 3")
    );

    // A client that names no session (Codex, opencode): found by its directory.
    let mut command = home.command(&["mcp"]);
    command.current_dir(&project);
    let mut mcp = Mcp::spawn(command);
    let (err, text) = mcp.tool("session_status", json!({}));
    assert!(!err && text.contains("found by cwd"), "{text}");
}

/// The Python the MCP SDK was installed into by scripts/install-test-deps.sh (its venv where pip may not
/// install into the system python).
fn sdk_python() -> std::path::PathBuf {
    let venv =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp_sdk/.venv/bin/python3");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

#[test]
fn the_official_python_sdk_lists_and_calls_the_agent_tools() {
    let (home, project) = claude_home_with_project();
    let session = "5e55a1d0-0000-4000-8000-00000000bb17";
    claude_usage_limit_in(&home, session, &project);
    home.wait_event("StopDetected");

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp_sdk/client.py");
    let out = std::process::Command::new(sdk_python())
        .arg(script)
        .args([
            env!("CARGO_BIN_EXE_palingenesis"),
            project.to_str().unwrap(),
            "Next: the parser tests.",
        ])
        .envs(home.env.iter().map(|(k, v)| (k, v)))
        .env("CLAUDE_CODE_SESSION_ID", session)
        .output()
        .expect("python3 runs (scripts/install-test-deps.sh installs the mcp SDK)");
    assert!(
        out.status.success(),
        "the SDK client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["server"], "palingenesis");
    let tools: Vec<&str> = seen["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for want in [
        "session_status",
        "quota_status",
        "checkpoint",
        "status",
        "sessions",
    ] {
        assert!(tools.contains(&want), "{want} missing from {tools:?}");
    }
    assert_eq!(seen["session_status"]["is_error"], false, "{seen}");
    assert!(
        seen["session_status"]["text"]
            .as_str()
            .unwrap()
            .contains(session),
        "{seen}"
    );
    assert!(
        seen["quota_status"]["text"]
            .as_str()
            .unwrap()
            .contains("\"resets_at\""),
        "{seen}"
    );
    assert_eq!(seen["checkpoint"]["is_error"], false, "{seen}");
    assert_eq!(
        std::fs::read_to_string(project.join("Next-step.md")).unwrap(),
        "Next: the parser tests.\n"
    );
    home.wait_event("CheckpointWritten");
}

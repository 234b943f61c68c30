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
        let mut child = home
            .command(&["mcp"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        Mcp {
            child,
            out,
            next_id: 1,
        }
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
    let init = mcp.call(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
    );
    assert_eq!(
        init["result"]["serverInfo"]["name"], "palingenesis",
        "{init}"
    );
    mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

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
        "new_session",
        "events",
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

//! OpenTelemetry end to end: the real daemon with `[otel]` enabled exports over OTLP/HTTP to a receiver on
//! 127.0.0.1 that decodes the payloads with the official protobuf definitions (tests/otlp/receiver.py, PyPI
//! `opentelemetry-proto`). The real `claude` CLI hits a rate limit at the fake provider, the daemon resumes
//! it, and the receiver must get one trace for that stop: detected → classified → waiting → resume attempt →
//! verified, with the session's attributes, plus the audit events as log records joined to that trace and
//! the event counter. The same save shows in `status`.
//!
//! Needs the clients and `opentelemetry-proto`: `scripts/install-test-deps.sh`.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use support::clients;
use support::fake_provider::{FakeProvider, Reply};
use support::home::{Home, KillOnDrop, session_of};
use support::process::run_with_timeout;

/// The receiver process and every JSON line it printed.
struct Receiver {
    _child: KillOnDrop,
    port: u16,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let otlp = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otlp");
        let script = otlp.join("receiver.py");
        // scripts/install-test-deps.sh uses a venv where pip may not install into the system python.
        let venv = otlp.join(".venv/bin/python3");
        let python = if venv.exists() {
            venv
        } else {
            "python3".into()
        };
        let mut child = Command::new(python)
            .arg(script)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = out
            .next()
            .expect("the receiver says where it listens")
            .unwrap();
        let port = first
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("receiver: {first} (is opentelemetry-proto installed? scripts/install-test-deps.sh)")
            });
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in out.map_while(Result::ok) {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_str(&line).unwrap());
            }
        });
        Receiver {
            _child: KillOnDrop(child),
            port,
            lines,
        }
    }

    fn all(&self, signal: &str, field: &str) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l["signal"] == signal)
            .flat_map(|l| l[field].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

#[test]
fn a_stop_and_its_resume_are_one_trace_at_the_otlp_receiver() {
    let receiver = Receiver::start();
    let fake = FakeProvider::start();
    fake.push(Reply::RateLimited {
        retry_after: Duration::from_secs(1),
    });
    let mut claude = clients::claude(&fake.url()).build();
    let mut env = claude.sandbox.env().to_vec();
    env.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()));
    let home = Home::started_with(
        &env,
        &format!(
            "[monitoring]\nassistants = [\"claude\"]\n\
             [resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nreset_margin_secs = 1\n\
             [otel]\nenabled = true\nendpoint = \"http://127.0.0.1:{}\"\n\
             [claude]\nbinary = \"{}\"\n",
            receiver.port,
            clients::claude_bin().display()
        ),
    );
    claude
        .sandbox
        .set_env("PALINGENESIS_HOME", &home.palingenesis_home());

    let first = run_with_timeout(
        claude.print("write the first chapter"),
        Duration::from_secs(60),
    );
    assert!(!first.success(), "the scripted 429 stops the turn");
    let done = home.wait_event("ResumeCompleted");
    let session = session_of(&done);

    let status: Value = serde_json::from_str(&home.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["saves"]["total"]["saves"], 1, "{status}");
    assert_eq!(status["saves"]["by_assistant"][0]["key"], "claude");
    home.ok(&["daemon", "stop"]);

    assert!(
        receiver.all("error", "error").is_empty()
            && !receiver
                .lines
                .lock()
                .unwrap()
                .iter()
                .any(|l| l["signal"] == "error"),
        "{:?}",
        receiver.lines.lock().unwrap()
    );
    let spans = receiver.all("traces", "spans");
    let root = spans
        .iter()
        .find(|s| s["name"] == "stop" && s["attributes"]["palingenesis.session"] == session)
        .unwrap_or_else(|| panic!("no stop span for {session}: {spans:#?}"));
    assert_eq!(root["parent_span_id"], "");
    assert_eq!(root["service"], "palingenesis");
    assert_eq!(root["attributes"]["palingenesis.assistant"], "claude");
    assert_eq!(root["attributes"]["palingenesis.reason"], "rate_limit");
    assert_eq!(root["attributes"]["palingenesis.outcome"], "verified");
    assert_eq!(root["status"], "ok");
    let children: Vec<&Value> = spans
        .iter()
        .filter(|s| s["trace_id"] == root["trace_id"] && s["span_id"] != root["span_id"])
        .collect();
    let names: Vec<&str> = children
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "resume attempt").count(),
        1,
        "{names:?}"
    );
    for name in [
        "detected",
        "classified",
        "waiting",
        "resume attempt",
        "verified",
    ] {
        let span = children
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no {name} span in {names:?}"));
        assert_eq!(span["parent_span_id"], root["span_id"], "{name}");
        assert_eq!(
            span["attributes"]["palingenesis.session"], session,
            "{name}"
        );
        let (start, end) = (
            span["start_ns"].as_u64().unwrap(),
            span["end_ns"].as_u64().unwrap(),
        );
        assert!(
            start >= root["start_ns"].as_u64().unwrap()
                && end <= root["end_ns"].as_u64().unwrap()
                && start <= end,
            "{name} lies within the stop: {span}"
        );
    }
    let span = |name: &str| *children.iter().find(|s| s["name"] == name).unwrap();
    assert_eq!(
        span("resume attempt")["attributes"]["palingenesis.attempt"],
        "1"
    );
    assert_eq!(span("resume attempt")["status"], "ok");
    assert_eq!(
        span("waiting")["attributes"]["palingenesis.action"],
        "resume_same_session"
    );
    assert!(span("waiting")["attributes"]["palingenesis.resume_at"].is_string());
    let order: Vec<u64> = ["detected", "waiting", "resume attempt", "verified"]
        .iter()
        .map(|n| span(n)["start_ns"].as_u64().unwrap())
        .collect();
    assert!(order.is_sorted(), "stages in order: {order:?}");

    let records = receiver.all("logs", "records");
    for (event, severity) in [
        ("StopDetected", "INFO"),
        ("ResumeStarted", "INFO"),
        ("ResumeCompleted", "INFO"),
    ] {
        let record = records
            .iter()
            .find(|r| {
                r["event_name"] == event && r["attributes"]["palingenesis.session"] == session
            })
            .unwrap_or_else(|| panic!("no {event} log record: {records:#?}"));
        assert_eq!(record["severity"], severity);
        assert_eq!(
            record["trace_id"], root["trace_id"],
            "{event} joins the stop's trace"
        );
        assert_eq!(record["attributes"]["palingenesis.assistant"], "claude");
    }

    let metrics = receiver.all("metrics", "metrics");
    let stops: u64 = metrics
        .iter()
        .filter(|m| m["name"] == "palingenesis.events")
        .flat_map(|m| m["points"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["attributes"]["event"] == "StopDetected")
        .map(|p| p["value"].as_u64().unwrap_or(0))
        .max()
        .unwrap_or(0);
    assert_eq!(stops, 1, "{metrics:#?}");

    home.start();
    let status: Value = serde_json::from_str(&home.ok(&["status", "--json"])).unwrap();
    assert_eq!(
        (
            &status["saves"]["total"]["stops"],
            &status["saves"]["total"]["saves"]
        ),
        (&Value::from(1), &Value::from(1)),
        "a restarted daemon replays its saves from the audit trail: {status}"
    );
}

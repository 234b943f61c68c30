//! Helpers for tests that drive the real `palingenesis` binary in an isolated home.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use palingenesis::paths::Paths;

pub const BIN: &str = env!("CARGO_BIN_EXE_palingenesis");

pub use super::wait::free_port;

/// [`super::wait::wait_until`] that panics when `cond` does not hold within `timeout`.
pub fn wait_until(timeout: Duration, cond: impl FnMut() -> bool) {
    assert!(
        super::wait::wait_until(timeout, cond),
        "condition not met within {timeout:?}"
    );
}

/// A child process killed (and reaped) when the guard goes out of scope.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn alive(pid: u32) -> bool {
    // A zombie still "exists": check /proc state too.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s.split_whitespace().nth(2).is_none_or(|st| st != "Z"),
        Err(_) => false,
    }
}

/// An isolated PALINGENESIS_HOME (and HOME) for one test. Stops its daemon on drop.
pub struct Home {
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    pub env: Vec<(String, String)>,
}

impl Home {
    pub fn new() -> Home {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        std::fs::create_dir_all(dir.join("user-home")).unwrap();
        Home {
            env: vec![
                (
                    "PALINGENESIS_HOME".into(),
                    dir.join("p").display().to_string(),
                ),
                ("HOME".into(), dir.join("user-home").display().to_string()),
                ("RUST_LOG".into(), "palingenesis=debug".into()),
            ],
            dir,
            _tmp: Some(tmp),
        }
    }

    /// A second handle on the same home (for threads); does not clean up.
    pub fn clone_handle(&self) -> Home {
        Home {
            dir: self.dir.clone(),
            _tmp: None,
            env: self.env.clone(),
        }
    }

    pub fn with_env(mut self, key: &str, value: impl AsRef<str>) -> Home {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.as_ref().into()));
        self
    }

    /// A home whose daemon gets the environment of an agent's sandbox (`HOME`, provider URL, keys) and
    /// `config`, started.
    pub fn started_with(env: &[(String, String)], config: &str) -> Home {
        let mut home = Home::new();
        for (k, v) in env {
            home = home.with_env(k, v);
        }
        home.write_config(config);
        home.start();
        home
    }

    /// The `PALINGENESIS_HOME` value, for agents whose hooks or wrappers must find this daemon.
    pub fn palingenesis_home(&self) -> String {
        self.dir.join("p").display().to_string()
    }

    pub fn user_home(&self) -> PathBuf {
        self.dir.join("user-home")
    }

    pub fn paths(&self) -> Paths {
        Paths::under(&self.dir.join("p"))
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_remove("PALINGENESIS_CONFIG")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        for (k, _) in std::env::vars() {
            if k.starts_with("PALINGENESIS__") {
                c.env_remove(k);
            }
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let Output {
            status,
            stdout,
            stderr,
        } = self.command(args).output().unwrap();
        (
            status.code().unwrap_or(-1),
            String::from_utf8_lossy(&stdout).into_owned(),
            String::from_utf8_lossy(&stderr).into_owned(),
        )
    }

    /// Run and require exit 0; returns stdout.
    /// Run `palingenesis hook <assistant>` with `payload` on stdin, as the assistant does; it always exits 0.
    pub fn hook(&self, assistant: &str, payload: &str) {
        use std::io::Write;
        let mut child = self
            .command(&["hook", assistant])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(payload.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(
            code,
            0,
            "palingenesis {args:?} failed ({code}):\nstdout: {out}\nstderr: {err}\nlog:\n{}",
            self.log()
        );
        out
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.paths().log_file()).unwrap_or_default()
    }

    /// A started daemon watching Claude only, with the HTTP surface on `127.0.0.1:{port}` behind `token`.
    pub fn started_with_http(port: u16, token: &str) -> Home {
        let home = Home::new();
        home.write_config(&format!(
            "[monitoring]\nassistants = [\"claude\"]\n\
             [http]\nenabled = true\nbind = \"127.0.0.1:{port}\"\ntoken = \"{token}\"\n"
        ));
        home.start();
        home
    }

    /// `daemon start` (detached); it returns once the daemon answers.
    pub fn start(&self) {
        self.ok(&["daemon", "start"]);
    }

    pub fn daemon_pid(&self) -> u32 {
        let v: serde_json::Value = serde_json::from_str(&self.ok(&["status", "--json"])).unwrap();
        v["pid"].as_u64().unwrap() as u32
    }

    pub fn events(&self) -> Vec<serde_json::Value> {
        let (_, out, _) = self.run(&["events", "--json"]);
        out.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn events_of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == kind)
            .collect()
    }

    /// Wait until an audit event of `kind` exists; returns it.
    pub fn wait_event(&self, kind: &str) -> serde_json::Value {
        self.wait_events(kind, 1, Duration::from_secs(30)).remove(0)
    }

    pub fn wait_events(&self, kind: &str, n: usize, timeout: Duration) -> Vec<serde_json::Value> {
        let end = Instant::now() + timeout;
        loop {
            let found = self.events_of(kind);
            if found.len() >= n {
                return found;
            }
            if Instant::now() > end {
                panic!(
                    "expected {n} {kind} event(s) within {timeout:?}; audit:\n{}\nlog:\n{}",
                    self.events()
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n"),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Make a Claude session stop: append an API-error line (`error` such as `rate_limit`, `billing_error`,
    /// and its message `text`) to a transcript under `~/.claude/projects/-work`, as Claude Code writes it.
    pub fn claude_api_error(&self, session: &str, error: &str, text: &str) {
        let project = self.user_home().join(".claude/projects/-work");
        std::fs::create_dir_all(&project).unwrap();
        let line = serde_json::json!({
            "type": "assistant", "isSidechain": false, "sessionId": session, "cwd": "/work",
            "timestamp": chrono::Utc::now().to_rfc3339(), "isApiErrorMessage": true, "error": error,
            "message": {"model": "<synthetic>", "role": "assistant",
                "content": [{"type": "text", "text": text}]}
        });
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(project.join(format!("{session}.jsonl")))
            .unwrap();
        writeln!(file, "{line}").unwrap();
    }

    pub fn write_config(&self, text: &str) {
        let p = self.paths().config_file;
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if self._tmp.is_some() {
            let _ = self.command(&["daemon", "stop"]).output();
        }
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The `session` field of an audit event.
pub fn session_of(e: &serde_json::Value) -> String {
    e["session"].as_str().unwrap_or_default().to_string()
}

/// The `ts` field of an audit event.
pub fn ts(e: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    e["ts"].as_str().unwrap().parse().unwrap()
}

/// The `metadata.at` of a `ResumeScheduled` event: when the resume is due.
pub fn scheduled_at(e: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    e["metadata"]["at"].as_str().unwrap().parse().unwrap()
}

/// The next whole minute at least `min` ahead: Claude shows reset times to the minute.
pub fn next_minute_after(min: Duration) -> chrono::DateTime<chrono::Utc> {
    use chrono::Timelike;
    let t = chrono::Utc::now() + chrono::Duration::from_std(min).unwrap();
    let floor = t.with_second(0).unwrap().with_nanosecond(0).unwrap();
    floor + chrono::Duration::minutes(1)
}

/// Serve `app` on 127.0.0.1 (free port) from a thread of its own; returns `http://127.0.0.1:PORT`.
pub fn serve_in_thread(app: axum::Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    url
}

/// A Claude transcript whose session stopped on a billing error: it needs a person, never a resume.
pub fn write_billing_stop(home: &Home, session: &str) {
    let project = home.user_home().join(".claude/projects/-work");
    std::fs::create_dir_all(&project).unwrap();
    let line = serde_json::json!({
        "type": "assistant", "isSidechain": false, "sessionId": session, "cwd": "/work",
        "timestamp": chrono::Utc::now().to_rfc3339(), "isApiErrorMessage": true, "error": "billing_error",
        "message": {"model": "<synthetic>", "role": "assistant",
            "content": [{"type": "text", "text": "Credit balance is too low"}]}
    });
    std::fs::write(
        project.join(format!("{session}.jsonl")),
        format!("{line}\n"),
    )
    .unwrap();
}

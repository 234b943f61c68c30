//! Qwen Code in a sandbox, pointed at the fake provider's OpenAI chat completions.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

use super::{Sandbox, files_with_suffix, first_existing, node_modules};

/// The model name sent to the fake (`OPENAI_MODEL`).
pub const MODEL: &str = "qwen-fake";

/// Qwen Code's entry point (`@qwen-code/qwen-code/cli-entry.js`, a Node script run through `node` on PATH).
pub fn qwen_bin() -> PathBuf {
    first_existing(
        &[node_modules().join("@qwen-code/qwen-code/cli-entry.js")],
        "qwen",
    )
}

/// The directory name Qwen Code gives a project: the cwd with every non-alphanumeric character turned into `-`.
pub fn qwen_project_dir_name(cwd: &std::path::Path) -> String {
    cwd.display()
        .to_string()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The quota message Qwen gives up on at once (its nested retries of a plain 429 take about an hour), resetting
/// after `reset_after` (`6s`, `1m5s`).
pub fn quota_exhausted(reset_after: &str) -> super::super::fake_provider::Reply {
    let message = format!(
        "You have exhausted your capacity on this model. Your quota will reset after {reset_after}."
    );
    super::super::fake_provider::Reply::status(
        429,
        &[],
        json!({"error": {"message": message, "type": "rate_limit_error", "code": "429"}}),
    )
}

/// Starts configuring a Qwen Code sandbox talking to `v1_url` (the fake's
/// [`v1_url`](super::super::FakeProvider::v1_url)).
pub fn qwen(v1_url: &str) -> QwenBuilder {
    QwenBuilder {
        v1_url: v1_url.to_owned(),
        max_retries: 0,
        env: Vec::new(),
    }
}

/// Options for a Qwen Code sandbox.
#[derive(Clone, Debug)]
pub struct QwenBuilder {
    v1_url: String,
    max_retries: u32,
    env: Vec<(String, String)>,
}

impl QwenBuilder {
    /// `model.generationConfig.maxRetries` (default 0 here; Qwen's own nested retries of a 429 or 503 take
    /// about an hour otherwise).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets an extra environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Creates the sandbox: `QWEN_HOME=$HOME/.qwen` with a settings.json lowering the retries and turning off
    /// telemetry and update checks; the OpenAI variables point at the fake.
    pub fn build(self) -> Qwen {
        let mut sb = Sandbox::new(qwen_bin());
        let qwen_home = sb.home.join(".qwen");
        std::fs::create_dir_all(&qwen_home).expect("create QWEN_HOME");
        let settings = json!({
            "model": {"generationConfig": {"maxRetries": self.max_retries}},
            "privacy": {"usageStatisticsEnabled": false},
            "telemetry": {"enabled": false},
            "general": {"disableAutoUpdate": true, "disableUpdateNag": true},
        });
        std::fs::write(
            qwen_home.join("settings.json"),
            serde_json::to_string_pretty(&settings).unwrap(),
        )
        .expect("write settings.json");
        sb.set_env("QWEN_HOME", &qwen_home.display().to_string());
        sb.set_env("OPENAI_API_KEY", "sk-fake-qwen");
        sb.set_env("OPENAI_BASE_URL", &self.v1_url);
        sb.set_env("OPENAI_MODEL", MODEL);
        for (k, v) in &self.env {
            sb.set_env(k, v);
        }
        Qwen {
            sandbox: sb,
            qwen_home,
        }
    }
}

/// A Qwen Code sandbox.
#[derive(Debug)]
pub struct Qwen {
    pub sandbox: Sandbox,
    pub qwen_home: PathBuf,
}

impl Qwen {
    /// `qwen <args>`.
    pub fn command(&self, args: &[&str]) -> Command {
        self.sandbox.command(args)
    }

    /// `qwen -o json -p <prompt>` (stdin is /dev/null).
    pub fn run(&self, prompt: &str) -> Command {
        self.command(&["-o", "json", "-p", prompt])
    }

    /// `qwen -o json --resume <session> -p <prompt>`.
    pub fn resume(&self, session: &str, prompt: &str) -> Command {
        self.command(&["-o", "json", "--resume", session, "-p", prompt])
    }

    /// `$QWEN_HOME/projects/<project>/chats`.
    pub fn chats_dir(&self) -> PathBuf {
        self.qwen_home
            .join("projects")
            .join(qwen_project_dir_name(&self.sandbox.cwd))
            .join("chats")
    }

    /// Every chat file of the work dir.
    pub fn chats(&self) -> Vec<PathBuf> {
        files_with_suffix(&self.chats_dir(), ".jsonl")
    }

    /// The chat file of `session`.
    pub fn chat_for(&self, session: &str) -> PathBuf {
        self.chats_dir().join(format!("{session}.jsonl"))
    }
}

/// The session id in `qwen -o json` output (the array's elements carry `session_id`).
pub fn session_in_output(stdout: &str) -> Option<String> {
    let out: serde_json::Value = serde_json::from_str(stdout.trim()).ok()?;
    out.as_array()?
        .iter()
        .rev()
        .find_map(|e| e["session_id"].as_str())
        .map(str::to_owned)
}

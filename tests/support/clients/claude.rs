//! Claude Code in a sandbox, pointed at the fake provider.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use super::{Sandbox, claude_bin, files_with_suffix};

/// The API key the sandbox uses in API-key mode.
pub const API_KEY: &str = "sk-ant-api03-fake-palingenesis-0123456789abcdef";
/// The token the sandbox uses in subscription mode.
pub const OAUTH_TOKEN: &str = "sk-ant-oat01-fake-palingenesis";

/// Starts configuring a Claude Code sandbox talking to `provider_url` (the fake's
/// [`url`](super::super::FakeProvider::url), no `/v1`).
pub fn claude(provider_url: &str) -> ClaudeBuilder {
    ClaudeBuilder {
        provider_url: provider_url.to_owned(),
        subscription: false,
        max_retries: Some(0),
        hooks: Vec::new(),
        settings: Vec::new(),
        env: Vec::new(),
    }
}

/// Options for a Claude Code sandbox.
#[derive(Clone, Debug)]
pub struct ClaudeBuilder {
    provider_url: String,
    subscription: bool,
    max_retries: Option<u32>,
    hooks: Vec<(String, String)>,
    settings: Vec<(String, Value)>,
    env: Vec<(String, String)>,
}

impl ClaudeBuilder {
    /// Authenticate as a subscriber (`CLAUDE_CODE_OAUTH_TOKEN`, no API key). Needed for Claude
    /// Code to turn a usage-limit 429 into "You've hit your session limit · resets …"; in this
    /// mode it does not retry usage-limit 429s.
    pub fn subscription(mut self) -> Self {
        self.subscription = true;
        self
    }

    /// `CLAUDE_CODE_MAX_RETRIES` (default `Some(0)`: fail at once; `None` = the client default of
    /// 10 retries, about three minutes).
    pub fn max_retries(mut self, n: Option<u32>) -> Self {
        self.max_retries = n;
        self
    }

    /// Adds a command hook for `event` (`Stop`, `StopFailure`, `SessionStart`, …) to
    /// `~/.claude/settings.json`.
    pub fn hook(mut self, event: &str, command: &str) -> Self {
        self.hooks.push((event.to_owned(), command.to_owned()));
        self
    }

    /// Sets a key of `~/.claude/settings.json` (e.g. `autoContinueAtUsageLimit`).
    pub fn setting(mut self, key: &str, value: Value) -> Self {
        self.settings.push((key.to_owned(), value));
        self
    }

    /// Whether a key of `~/.claude/settings.json` was set with [`setting`](Self::setting).
    pub fn has_setting(&self, key: &str) -> bool {
        self.settings.iter().any(|(k, _)| k == key)
    }

    /// Sets an extra environment variable (e.g. `TZ`).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Creates the sandbox: HOME with `~/.claude.json` (onboarding done, key approved, work dir
    /// trusted, so interactive mode starts straight at the prompt) and the hooks, if any.
    pub fn build(self) -> Claude {
        let mut sb = Sandbox::new(claude_bin());
        sb.set_env("ANTHROPIC_BASE_URL", &self.provider_url);
        if self.subscription {
            sb.set_env("CLAUDE_CODE_OAUTH_TOKEN", OAUTH_TOKEN);
        } else {
            sb.set_env("ANTHROPIC_API_KEY", API_KEY);
        }
        sb.set_env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        sb.set_env("DISABLE_TELEMETRY", "1");
        sb.set_env("DISABLE_AUTOUPDATER", "1");
        sb.set_env("DISABLE_ERROR_REPORTING", "1");
        if let Some(n) = self.max_retries {
            sb.set_env("CLAUDE_CODE_MAX_RETRIES", &n.to_string());
        }
        for (k, v) in &self.env {
            sb.set_env(k, v);
        }
        write_json(&sb.home.join(".claude.json"), &global_config(&sb.cwd));
        if !self.hooks.is_empty() || !self.settings.is_empty() {
            let mut settings = if self.hooks.is_empty() {
                json!({})
            } else {
                hooks_settings(&self.hooks)
            };
            for (k, v) in &self.settings {
                settings[k.as_str()] = v.clone();
            }
            write_json(&sb.home.join(".claude/settings.json"), &settings);
        }
        Claude { sandbox: sb }
    }
}

fn global_config(cwd: &Path) -> Value {
    let key_suffix: String = API_KEY.chars().skip(API_KEY.chars().count() - 20).collect();
    let mut projects = serde_json::Map::new();
    projects.insert(
        cwd.display().to_string(),
        json!({"hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true, "allowedTools": []}),
    );
    json!({
        "hasCompletedOnboarding": true,
        "lastOnboardingVersion": "2.1.197",
        "customApiKeyResponses": {"approved": [key_suffix], "rejected": []},
        "projects": projects,
    })
}

fn hooks_settings(hooks: &[(String, String)]) -> Value {
    let mut by_event = serde_json::Map::new();
    for (event, command) in hooks {
        let entry = json!({"hooks": [{"type": "command", "command": command}]});
        by_event
            .entry(event.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .expect("array")
            .push(entry);
    }
    json!({"hooks": by_event})
}

fn write_json(path: &Path, value: &Value) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create config dir");
    }
    std::fs::write(path, serde_json::to_vec_pretty(value).expect("serialize"))
        .expect("write config");
}

/// A Claude Code sandbox.
#[derive(Debug)]
pub struct Claude {
    pub sandbox: Sandbox,
}

impl Claude {
    /// `claude <args>`.
    pub fn command(&self, args: &[&str]) -> Command {
        self.sandbox.command(args)
    }

    /// `claude -p <prompt> --output-format json` (headless; exits 1 on a stopped turn).
    pub fn print(&self, prompt: &str) -> Command {
        self.command(&["-p", prompt, "--output-format", "json"])
    }

    /// `claude -p --resume <session_id> <prompt> --output-format json`.
    pub fn resume_print(&self, session_id: &str, prompt: &str) -> Command {
        self.command(&[
            "-p",
            "--resume",
            session_id,
            prompt,
            "--output-format",
            "json",
        ])
    }

    /// `$HOME/.claude/projects/<sanitized cwd>`.
    pub fn project_dir(&self) -> PathBuf {
        self.sandbox
            .home
            .join(".claude/projects")
            .join(claude_project_dir_name(
                &self.sandbox.cwd.display().to_string(),
            ))
    }

    /// The transcript of `session_id`.
    pub fn transcript_path(&self, session_id: &str) -> PathBuf {
        self.project_dir().join(format!("{session_id}.jsonl"))
    }

    /// Every transcript under `$HOME/.claude/projects`.
    pub fn transcripts(&self) -> Vec<PathBuf> {
        files_with_suffix(&self.sandbox.home.join(".claude/projects"), ".jsonl")
    }
}

/// Claude Code's directory name for a project path: every char outside `[a-zA-Z0-9]` becomes
/// `-`; names longer than 200 chars are cut to 200 and suffixed with `-` + base-36 of the
/// absolute value of a Java-style 32-bit string hash (over UTF-16 code units).
pub fn claude_project_dir_name(cwd: &str) -> String {
    let name: String = cwd
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if name.chars().count() <= 200 {
        return name;
    }
    let mut hash: i32 = 0;
    for unit in cwd.encode_utf16() {
        hash = hash
            .wrapping_shl(5)
            .wrapping_sub(hash)
            .wrapping_add(i32::from(unit));
    }
    let prefix: String = name.chars().take(200).collect();
    format!("{prefix}-{}", base36(u64::from(hash.unsigned_abs())))
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n == 0 {
        return "0".into();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

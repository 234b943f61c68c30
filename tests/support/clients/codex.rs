//! Codex CLI in a sandbox, pointed at the fake provider.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Sandbox, codex_bin, files_with_suffix};

/// The environment variable holding the fake API key (`env_key` of the provider).
pub const KEY_VAR: &str = "PALINGENESIS_FAKE_KEY";

/// Starts configuring a Codex sandbox talking to `v1_url` (the fake's
/// [`v1_url`](super::super::FakeProvider::v1_url)).
pub fn codex(v1_url: &str) -> CodexBuilder {
    CodexBuilder {
        v1_url: v1_url.to_owned(),
        model: "gpt-5.5".into(),
        request_max_retries: 0,
        stream_max_retries: 0,
        extra_config: String::new(),
        env: Vec::new(),
        tui: false,
    }
}

/// Options for a Codex sandbox.
#[derive(Clone, Debug)]
pub struct CodexBuilder {
    v1_url: String,
    model: String,
    request_max_retries: u32,
    stream_max_retries: u32,
    extra_config: String,
    env: Vec<(String, String)>,
    tui: bool,
}

impl CodexBuilder {
    /// The model slug (default `gpt-5.5`, one Codex has metadata for; an unknown slug adds a
    /// "Model metadata … not found" error item to every run).
    pub fn model(mut self, model: &str) -> Self {
        self.model = model.to_owned();
        self
    }

    /// The provider's `request_max_retries` and `stream_max_retries` (default 0 and 0: fail at
    /// once; Codex's defaults are 4 and 5, i.e. "Reconnecting... 1/5" … before it gives up).
    pub fn retries(mut self, request: u32, stream: u32) -> Self {
        self.request_max_retries = request;
        self.stream_max_retries = stream;
        self
    }

    /// Extra top-level TOML appended to config.toml (before the provider table).
    pub fn extra_config(mut self, toml: &str) -> Self {
        self.extra_config.push_str(toml);
        self.extra_config.push('\n');
        self
    }

    /// Ready for the interactive TUI: the start-up offer to move to a newer model (`Meet GPT-6 Sol`, a menu
    /// whose Esc confirms) is marked as already answered with "Use existing model", and the screen-reader
    /// probe as done.
    pub fn tui(mut self) -> Self {
        self.tui = true;
        self
    }

    /// Sets an extra environment variable (e.g. `TZ`).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Creates the sandbox: `CODEX_HOME=$HOME/.codex` with a config.toml whose only provider is
    /// the fake, approvals off, read-only sandbox, no update check, the work dir trusted.
    pub fn build(mut self) -> Codex {
        if self.tui {
            let answered = format!(
                "[tui]\nscreen_reader_detection_done = true\n\n[notice.model_migrations]\n\"{}\" = \"gpt-6-sol\"",
                self.model
            );
            self = self.extra_config(&answered);
        }
        let mut sb = Sandbox::new(codex_bin());
        let codex_home = sb.home.join(".codex");
        std::fs::create_dir_all(&codex_home).expect("create CODEX_HOME");
        let config = format!(
            r#"model = "{model}"
model_provider = "fake"
approval_policy = "never"
sandbox_mode = "read-only"
check_for_update_on_startup = false
{extra}
[model_providers.fake]
name = "fake"
base_url = "{url}"
env_key = "{KEY_VAR}"
wire_api = "responses"
request_max_retries = {req}
stream_max_retries = {stream}

[projects."{cwd}"]
trust_level = "trusted"
"#,
            model = self.model,
            extra = self.extra_config,
            url = self.v1_url,
            req = self.request_max_retries,
            stream = self.stream_max_retries,
            cwd = sb.cwd.display(),
        );
        std::fs::write(codex_home.join("config.toml"), config).expect("write config.toml");
        sb.set_env("CODEX_HOME", &codex_home.display().to_string());
        sb.set_env(KEY_VAR, "sk-fake-codex");
        for (k, v) in &self.env {
            sb.set_env(k, v);
        }
        Codex {
            sandbox: sb,
            codex_home,
        }
    }
}

/// A Codex sandbox.
#[derive(Debug)]
pub struct Codex {
    pub sandbox: Sandbox,
    pub codex_home: PathBuf,
}

impl Codex {
    /// `codex <args>`.
    pub fn command(&self, args: &[&str]) -> Command {
        self.sandbox.command(args)
    }

    /// `codex exec --skip-git-repo-check --json <prompt>` (stdin is /dev/null).
    pub fn exec(&self, prompt: &str) -> Command {
        self.command(&["exec", "--skip-git-repo-check", "--json", prompt])
    }

    /// `codex exec --skip-git-repo-check --json resume <thread_id> <prompt>`.
    pub fn exec_resume(&self, thread_id: &str, prompt: &str) -> Command {
        self.command(&[
            "exec",
            "--skip-git-repo-check",
            "--json",
            "resume",
            thread_id,
            prompt,
        ])
    }

    /// `$CODEX_HOME/config.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.codex_home.join("config.toml")
    }

    /// Every rollout file (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`).
    pub fn rollouts(&self) -> Vec<PathBuf> {
        files_with_suffix(&self.codex_home.join("sessions"), ".jsonl")
    }

    /// The rollout of `thread_id`.
    pub fn rollout_for(&self, thread_id: &str) -> Option<PathBuf> {
        self.rollouts().into_iter().find(|p| {
            p.to_string_lossy()
                .ends_with(&format!("-{thread_id}.jsonl"))
        })
    }
}

/// The TUI starts a managed `codex app-server` that outlives it (from `$CODEX_HOME/packages`); stops the ones
/// this sandbox started when the test ends.
pub struct AppServers(pub PathBuf);

impl Drop for AppServers {
    fn drop(&mut self) {
        for pid in pids_running_from(&self.0) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Processes whose executable lies under `dir`.
fn pids_running_from(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .ok()
                .and_then(|c| c.split(|b| *b == 0).next().map(|a| a.to_vec()))
                .is_some_and(|exe| {
                    Path::new(std::str::from_utf8(&exe).unwrap_or("")).starts_with(dir)
                })
        })
        .collect()
}

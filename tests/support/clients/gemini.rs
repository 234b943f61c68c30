//! Gemini CLI in a sandbox, pointed at the fake provider's Gemini API.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use super::super::tmux::Tmux;
use super::super::wait::wait_until;
use super::{Sandbox, files_with_suffix, first_existing, node_modules};

/// The model the sandbox pins (`model.name`), so no router request comes first.
pub const MODEL: &str = "gemini-2.5-pro";

/// Gemini CLI's entry point (`@google/gemini-cli/bundle/gemini.js`, a Node script run through `node` on PATH).
pub fn gemini_bin() -> PathBuf {
    first_existing(
        &[node_modules().join("@google/gemini-cli/bundle/gemini.js")],
        "gemini",
    )
}

/// Starts configuring a Gemini CLI sandbox talking to `url` (the fake's
/// [`url`](super::super::FakeProvider::url)).
pub fn gemini(url: &str) -> GeminiBuilder {
    GeminiBuilder {
        url: url.to_owned(),
        max_attempts: 1,
    }
}

/// Options for a Gemini CLI sandbox.
#[derive(Clone, Debug)]
pub struct GeminiBuilder {
    url: String,
    max_attempts: u32,
}

impl GeminiBuilder {
    /// `general.maxAttempts` (default 1 here; its own retries of a 429 or 503 take about 220 s otherwise).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// Creates the sandbox: `~/.gemini/settings.json` selecting API-key auth, pinning the model, lowering the
    /// retries, showing errors in full and turning off telemetry, usage statistics and update checks; the
    /// workspace is trusted and the base URL points at the fake.
    pub fn build(self) -> Gemini {
        let mut sb = Sandbox::new(gemini_bin());
        let gemini_dir = sb.home.join(".gemini");
        std::fs::create_dir_all(&gemini_dir).expect("create ~/.gemini");
        let settings = json!({
            "security": {"auth": {"selectedType": "gemini-api-key"}},
            "model": {"name": MODEL},
            "general": {"maxAttempts": self.max_attempts, "enableAutoUpdate": false,
                        "enableAutoUpdateNotification": false},
            "privacy": {"usageStatisticsEnabled": false},
            "telemetry": {"enabled": false},
            "ui": {"errorVerbosity": "full"},
        });
        std::fs::write(
            gemini_dir.join("settings.json"),
            serde_json::to_string_pretty(&settings).unwrap(),
        )
        .expect("write settings.json");
        sb.set_env("GEMINI_API_KEY", "fake-gemini-key");
        sb.set_env("GOOGLE_GEMINI_BASE_URL", &self.url);
        sb.set_env("GEMINI_CLI_TRUST_WORKSPACE", "true");
        Gemini {
            sandbox: sb,
            gemini_dir,
        }
    }
}

/// A Gemini CLI sandbox.
#[derive(Debug)]
pub struct Gemini {
    pub sandbox: Sandbox,
    pub gemini_dir: PathBuf,
}

impl Gemini {
    /// `gemini <args>`.
    pub fn command(&self, args: &[&str]) -> Command {
        self.sandbox.command(args)
    }

    /// `gemini -o json --session-id <id> -p <prompt>` (stdin is /dev/null).
    pub fn run_as(&self, session: &str, prompt: &str) -> Command {
        self.command(&["-o", "json", "--session-id", session, "-p", prompt])
    }

    /// The interactive client resuming `session`, as a shell line for a terminal.
    pub fn interactive_line(&self, session: &str) -> String {
        self.sandbox.shell_line(&["--resume", session])
    }

    /// Every chat file of every project.
    pub fn chats(&self) -> Vec<PathBuf> {
        files_with_suffix(&self.gemini_dir.join("tmp"), ".jsonl")
    }
}

/// The session id in `gemini -o json` output (stdout after a good turn, stderr after a failed one).
pub fn session_in_output(output: &str) -> Option<String> {
    let start = output.rfind("\n{").map_or(0, |i| i + 1);
    let v: serde_json::Value = serde_json::from_str(output[start..].trim()).ok()?;
    v["session_id"].as_str().map(str::to_owned)
}

/// Types `prompt` into the interactive client in `tmux` and submits it. A resumed client shows its input box
/// before it takes a submit (it is still loading the session), and keys right after typed text are taken as a
/// paste: press Enter until the prompt leaves the input box.
pub fn submit(tmux: &Tmux, prompt: &str, timeout: Duration) {
    tmux.type_text(prompt);
    let typed = format!("> {prompt}");
    tmux.wait_for_text(&typed, timeout);
    let submitted = wait_until(timeout, || {
        tmux.key("Enter");
        wait_until(Duration::from_secs(2), || {
            let screen = tmux.capture();
            let input = screen.rsplit("Shift+Tab").next().unwrap_or_default();
            !input.contains(&typed)
        })
    });
    assert!(
        submitted,
        "the prompt was never submitted:\n{}",
        tmux.capture()
    );
}

//! opencode in a sandbox, pointed at the fake provider.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

use super::{Sandbox, opencode_bin};

/// The provider id in opencode.json.
pub const PROVIDER_ID: &str = "fake";
/// The model id in opencode.json.
pub const MODEL_ID: &str = "fake-model";

/// Starts configuring an opencode sandbox talking to `v1_url` (the fake's
/// [`v1_url`](super::super::FakeProvider::v1_url)).
pub fn opencode(v1_url: &str) -> OpencodeBuilder {
    OpencodeBuilder {
        v1_url: v1_url.to_owned(),
        context_limit: 200_000,
        env: Vec::new(),
    }
}

/// Options for an opencode sandbox.
#[derive(Clone, Debug)]
pub struct OpencodeBuilder {
    v1_url: String,
    context_limit: u64,
    env: Vec<(String, String)>,
}

impl OpencodeBuilder {
    /// The model's `limit.context` (default 200000).
    pub fn context_limit(mut self, tokens: u64) -> Self {
        self.context_limit = tokens;
        self
    }

    /// Sets an extra environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Creates the sandbox: XDG dirs inside it, an opencode.json whose only provider is the fake
    /// (`@ai-sdk/openai-compatible`, both `model` and `small_model` set), the offline env flags,
    /// and a stub dependency lock in the config dir so opencode does not try to `npm install`
    /// `@opencode-ai/plugin` from the registry on every start.
    pub fn build(self) -> Opencode {
        let mut sb = Sandbox::new(opencode_bin());
        let xdg = sb.dir.path().join("xdg");
        let (config, data, state, cache) = (
            xdg.join("config"),
            xdg.join("data"),
            xdg.join("state"),
            xdg.join("cache"),
        );
        let config_dir = config.join("opencode");
        std::fs::create_dir_all(config_dir.join("node_modules"))
            .expect("create opencode config dir");
        for d in [&data, &state, &cache] {
            std::fs::create_dir_all(d).expect("create XDG dir");
        }
        let model = format!("{PROVIDER_ID}/{MODEL_ID}");
        let cfg = json!({
            "$schema": "https://opencode.ai/config.json",
            "provider": {PROVIDER_ID: {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Fake provider",
                "options": {"baseURL": self.v1_url, "apiKey": "sk-fake-opencode"},
                "models": {MODEL_ID: {"name": "Fake model",
                                      "limit": {"context": self.context_limit, "output": 8192}}},
            }},
            "model": model,
            "small_model": model,
            "autoupdate": false,
            "share": "disabled",
        });
        std::fs::write(
            config_dir.join("opencode.json"),
            serde_json::to_vec_pretty(&cfg).expect("json"),
        )
        .expect("write opencode.json");
        // opencode installs @opencode-ai/plugin into each writable config dir that has no
        // node_modules, or whose package-lock.json lacks it (Npm.install / checkDirty).
        std::fs::write(
            config_dir.join("package-lock.json"),
            json!({"packages": {"": {"dependencies": {"@opencode-ai/plugin": "*"}}}}).to_string(),
        )
        .expect("write stub package-lock.json");
        for (k, v) in [
            ("XDG_CONFIG_HOME", &config),
            ("XDG_DATA_HOME", &data),
            ("XDG_STATE_HOME", &state),
            ("XDG_CACHE_HOME", &cache),
        ] {
            sb.set_env(k, &v.display().to_string());
        }
        for flag in [
            "OPENCODE_DISABLE_AUTOUPDATE",
            "OPENCODE_DISABLE_SHARE",
            "OPENCODE_DISABLE_MODELS_FETCH",
            "OPENCODE_DISABLE_LSP_DOWNLOAD",
            "OPENCODE_DISABLE_DEFAULT_PLUGINS",
            "OPENCODE_DISABLE_CLAUDE_CODE",
        ] {
            sb.set_env(flag, "1");
        }
        for (k, v) in &self.env {
            sb.set_env(k, v);
        }
        Opencode {
            sandbox: sb,
            config_dir,
            data_dir: data.join("opencode"),
        }
    }
}

/// An opencode sandbox.
#[derive(Debug)]
pub struct Opencode {
    pub sandbox: Sandbox,
    /// `$XDG_CONFIG_HOME/opencode`.
    pub config_dir: PathBuf,
    /// `$XDG_DATA_HOME/opencode` (database, logs).
    pub data_dir: PathBuf,
}

impl Opencode {
    /// `opencode <args>`.
    pub fn command(&self, args: &[&str]) -> Command {
        self.sandbox.command(args)
    }

    /// `opencode run <prompt>` (opencode sends the prompt wrapped in double quotes).
    pub fn run(&self, prompt: &str) -> Command {
        self.command(&["run", prompt])
    }

    /// `opencode run --format json <prompt>` (one JSON event per line).
    pub fn run_json(&self, prompt: &str) -> Command {
        self.command(&["run", "--format", "json", prompt])
    }

    /// `opencode serve --port <port> --hostname 127.0.0.1`.
    pub fn serve(&self, port: u16) -> Command {
        self.command(&[
            "serve",
            "--port",
            &port.to_string(),
            "--hostname",
            "127.0.0.1",
        ])
    }

    /// The SQLite database (`$XDG_DATA_HOME/opencode/opencode.db`).
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("opencode.db")
    }
}

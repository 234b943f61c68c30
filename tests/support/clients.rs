//! Isolated environments for the real assistant CLIs pinned in `tests/clients`.
//!
//! Each builder makes a fresh sandbox (temp dir with its own HOME, work dir and config pointing at
//! a [`FakeProvider`](super::FakeProvider)) and hands out `std::process::Command`s with a cleared
//! environment. The CLIs are run through their native binaries, which npm installs as optional
//! platform packages; the `node_modules/.bin` entries of claude and opencode are only stubs until
//! the packages' postinstall scripts run, and we install with `--ignore-scripts`.

pub mod claude;
pub mod codex;
pub mod gemini;
pub mod opencode;
pub mod qwen;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

pub use claude::{Claude, ClaudeBuilder, claude, claude_project_dir_name};
pub use codex::{Codex, CodexBuilder, codex};
pub use gemini::{Gemini, GeminiBuilder, gemini, gemini_bin};
pub use opencode::{Opencode, OpencodeBuilder, opencode};
pub use qwen::{Qwen, QwenBuilder, qwen, qwen_bin};

/// `tests/clients/node_modules` of this checkout, or `$PALINGENESIS_TEST_CLIENTS/node_modules` (the newest
/// releases, installed by `scripts/check-latest-clients.sh`).
pub fn node_modules() -> PathBuf {
    match std::env::var_os("PALINGENESIS_TEST_CLIENTS").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("node_modules"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/node_modules"),
    }
}

fn first_existing(candidates: &[PathBuf], client: &str) -> PathBuf {
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "the real {client} CLI is not installed (looked for {}).\n\
                 Run scripts/install-test-deps.sh from the repository root first.",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The native Claude Code binary (`@anthropic-ai/claude-code-<platform>/claude`).
pub fn claude_bin() -> PathBuf {
    let nm = node_modules().join("@anthropic-ai");
    let a = arch();
    first_existing(
        &[
            nm.join(format!("claude-code-linux-{a}/claude")),
            nm.join(format!("claude-code-linux-{a}-musl/claude")),
            nm.join(format!("claude-code-darwin-{a}/claude")),
        ],
        "claude",
    )
}

/// The native Codex CLI binary (`@openai/codex-<platform>/vendor/<triple>/bin/codex`).
pub fn codex_bin() -> PathBuf {
    let nm = node_modules().join("@openai");
    let a = arch();
    let triple = match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-musl",
        _ => "x86_64-unknown-linux-musl",
    };
    first_existing(
        &[
            nm.join(format!("codex-linux-{a}/vendor/{triple}/bin/codex")),
            nm.join(format!(
                "codex-darwin-{a}/vendor/{}-apple-darwin/bin/codex",
                std::env::consts::ARCH
            )),
        ],
        "codex",
    )
}

/// The native opencode binary (`opencode-<platform>[-baseline]/bin/opencode`); the baseline build
/// is preferred on CPUs without AVX2, as opencode's own postinstall does.
pub fn opencode_bin() -> PathBuf {
    let nm = node_modules();
    let a = arch();
    let avx2 = std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| c.contains(" avx2"));
    let mut candidates = vec![
        nm.join(format!("opencode-linux-{a}/bin/opencode")),
        nm.join(format!("opencode-linux-{a}-baseline/bin/opencode")),
        nm.join(format!("opencode-darwin-{a}/bin/opencode")),
    ];
    if !avx2 {
        candidates.swap(0, 1);
    }
    first_existing(&candidates, "opencode")
}

/// A temp dir holding one client's HOME, work dir and config, plus the environment to run it
/// with. Removed when dropped.
#[derive(Debug)]
pub struct Sandbox {
    pub dir: TempDir,
    pub home: PathBuf,
    /// The working directory the client runs in (its "project").
    pub cwd: PathBuf,
    pub bin: PathBuf,
    env: Vec<(String, String)>,
}

impl Sandbox {
    /// A new sandbox under the system temp dir (outside any git repository, so the clients find
    /// no project instructions of ours).
    pub fn new(bin: PathBuf) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("pal-e2e-")
            .tempdir()
            .expect("create sandbox dir");
        let home = dir.path().join("home");
        let cwd = dir.path().join("work");
        std::fs::create_dir_all(&home).expect("create HOME");
        std::fs::create_dir_all(&cwd).expect("create work dir");
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
        let mut sandbox = Sandbox {
            dir,
            home,
            cwd,
            bin,
            env: Vec::new(),
        };
        sandbox.set_env("HOME", &sandbox.home.display().to_string());
        sandbox.set_env("PATH", &path);
        sandbox.set_env("LANG", "C.UTF-8");
        sandbox.set_env("TZ", "UTC");
        sandbox.set_env("SHELL", "/bin/bash");
        sandbox.set_env("TERM", "xterm-256color");
        sandbox.set_env(
            "USER",
            &std::env::var("USER").unwrap_or_else(|_| "tester".into()),
        );
        sandbox
    }

    /// Sets (or replaces) an environment variable for every command.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Removes an environment variable.
    pub fn remove_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// The environment every command gets (nothing is inherited).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The value of one of the sandbox's environment variables.
    pub fn env_var(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The client binary with `args`, in `cwd`, with exactly the sandbox environment and stdin
    /// from /dev/null.
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd)
            .stdin(Stdio::null());
        cmd
    }

    /// A shell command line doing the same as [`Sandbox::command`] (without the stdin redirect),
    /// for typing into a terminal such as a tmux pane.
    pub fn shell_line(&self, args: &[&str]) -> String {
        let mut parts = vec![
            "cd".to_owned(),
            quote(&self.cwd.display().to_string()),
            "&&".to_owned(),
            "exec".to_owned(),
            "env".to_owned(),
            "-i".to_owned(),
        ];
        parts.extend(self.env.iter().map(|(k, v)| format!("{k}={}", quote(v))));
        parts.push(quote(&self.bin.display().to_string()));
        parts.extend(args.iter().map(|a| quote(a)));
        parts.join(" ")
    }
}

/// Single-quotes `s` for a POSIX shell.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Every file under `dir` (recursively) whose name ends with `suffix`, sorted.
pub fn files_with_suffix(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The JSON lines of a JSONL file (lines that do not parse are skipped).
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

//! What the benchmarks share: a real daemon (release build) in a temp home.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_palingenesis");

/// The executable measured: `PALINGENESIS_BENCH_BIN` (e.g. an older build, to compare), else this build's.
pub fn bin() -> PathBuf {
    std::env::var_os("PALINGENESIS_BENCH_BIN").map_or_else(|| PathBuf::from(BIN), PathBuf::from)
}

pub struct Daemon {
    pub root: PathBuf,
    pub home: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Daemon {
    pub fn start(config: &str, prepare: impl FnOnce(&Path)) -> Daemon {
        Daemon::start_timed(config, prepare, &std::cell::Cell::new(Duration::ZERO))
    }

    /// [`Daemon::start`], putting how long `daemon start` took (until the daemon answers) in `took`.
    pub fn start_timed(
        config: &str,
        prepare: impl FnOnce(&Path),
        took: &std::cell::Cell<Duration>,
    ) -> Daemon {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("p");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(root.join("config.toml"), config).unwrap();
        prepare(&home);
        let d = Daemon {
            root,
            home,
            _tmp: tmp,
        };
        let t = Instant::now();
        let out = d.cli(&["daemon", "start"]);
        took.set(t.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        d
    }

    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(bin())
            .args(args)
            .env("PALINGENESIS_HOME", &self.root)
            .env("HOME", &self.home)
            .output()
            .unwrap()
    }

    pub fn socket(&self) -> PathBuf {
        self.root.join("run/palingenesis.sock")
    }

    pub fn pid(&self) -> u32 {
        std::fs::read_to_string(self.root.join("run/palingenesis.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    pub fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.root.join("state/audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.cli(&["daemon", "stop"]);
    }
}

/// A stand-in agent in `dir` that records when it starts (one file per process, in `dir/spawned`, the
/// epoch with nanoseconds) and reports a finished turn. Returns the agent and the marks folder.
pub fn stand_in_agent(dir: &Path) -> (PathBuf, PathBuf) {
    let marks = dir.join("spawned");
    std::fs::create_dir_all(&marks).unwrap();
    let agent = dir.join("fake-claude");
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\ndate +%s.%N > {}/$$\necho '{{\"type\":\"result\",\"is_error\":false}}'\n",
            marks.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    (agent, marks)
}

//! Several processes append to one audit trail at once while it rotates every ~200 KB: afterwards every
//! line must be present exactly once, none torn, and each writer's lines in the order it wrote them.
//!
//! How the child processes are made without a separate binary: the test re-executes its own test binary
//! (`std::env::current_exe()`) and asks libtest to run only [`writer_child`]
//! (`writer_child --exact --ignored`), with environment variables saying where to write and as which
//! writer. `writer_child` is `#[ignore]`d so an ordinary `cargo test` does not run it, and it returns at
//! once when the variables are absent (as under `cargo test -- --include-ignored`).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use palingenesis::audit::{AuditEvent, AuditLog, AuditOptions, AuditQuery, EventType, query};

const WRITERS: usize = 8;
const PER_WRITER: usize = 10_000;
const ENV_PATH: &str = "PALINGENESIS_TEST_AUDIT_PATH";
const ENV_WRITER: &str = "PALINGENESIS_TEST_AUDIT_WRITER";
const MAX_BYTES: u64 = 200 * 1024;

fn options() -> AuditOptions {
    AuditOptions {
        max_bytes: MAX_BYTES,
        // Large enough that rotation never drops a file during the test.
        keep: 10_000,
    }
}

/// The child side: append `PER_WRITER` events as writer `$PALINGENESIS_TEST_AUDIT_WRITER`.
#[test]
#[ignore = "a child process of many_processes_append_without_loss, not a test by itself"]
fn writer_child() {
    let (Ok(path), Ok(id)) = (std::env::var(ENV_PATH), std::env::var(ENV_WRITER)) else {
        return;
    };
    let id: usize = id.parse().expect("writer id");
    let log = AuditLog::open(&path, options()).expect("open the trail");
    for seq in 0..PER_WRITER {
        // Varying lengths make a torn or interleaved line show up as invalid JSON.
        let event = AuditEvent::new(EventType::HookReceived)
            .session(format!("writer-{id}"))
            .message("x".repeat(seq % 97))
            .meta("writer", id)
            .meta("seq", seq);
        log.append(&event).expect("append");
    }
}

fn trail_files(dir: &Path) -> Vec<std::path::PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("audit.jsonl") && !name.ends_with(".lock")
        })
        .collect()
}

#[test]
fn many_processes_append_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let exe = std::env::current_exe().unwrap();

    let children: Vec<_> = (0..WRITERS)
        .map(|id| {
            Command::new(&exe)
                .args(["writer_child", "--exact", "--ignored", "--nocapture"])
                .env(ENV_PATH, &path)
                .env(ENV_WRITER, id.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a writer")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "writer failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let result = query(&path, &AuditQuery::default()).unwrap();
    assert_eq!(result.corrupt_lines, 0, "torn or interleaved lines");
    let mut next = vec![0u64; WRITERS];
    for event in &result.events {
        let writer = event.metadata["writer"].as_u64().unwrap() as usize;
        let seq = event.metadata["seq"].as_u64().unwrap();
        assert_eq!(
            seq, next[writer],
            "writer {writer}: line missing, duplicated or out of order"
        );
        next[writer] += 1;
    }
    assert_eq!(next, vec![PER_WRITER as u64; WRITERS], "lines lost");

    let files = trail_files(dir.path());
    assert!(
        files.len() > 20,
        "rotation happened ({} files)",
        files.len()
    );
    let mut raw_lines = 0;
    for f in &files {
        let bytes = fs::read(f).unwrap();
        assert!(bytes.len() as u64 <= MAX_BYTES, "{} too large", f.display());
        assert!(bytes.ends_with(b"\n"), "{} ends mid-line", f.display());
        raw_lines += bytes.iter().filter(|&&b| b == b'\n').count();
    }
    assert_eq!(raw_lines, WRITERS * PER_WRITER, "no stray or blank lines");
}

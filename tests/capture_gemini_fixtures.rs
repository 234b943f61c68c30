//! Regenerates `tests/fixtures/real/gemini`: what the real Gemini CLI wrote (its chat JSONL, its `-o json`
//! output) when the fake provider answered with success, a daily quota (headless: the turn is rolled back; and
//! interactive: the error it showed is recorded after choosing "Stop") and a rate limit it retried. Ignored by
//! default because it rewrites files in the repository:
//!
//! ```text
//! cargo test --test capture_gemini_fixtures -- --ignored --test-threads 1
//! ```

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use support::clients::{self, Gemini};
use support::fake_provider::gemini_error;
use support::tmux::Tmux;
use support::{FakeProvider, Reply, try_run_with_timeout, wait_until};

const RUN: Duration = Duration::from_secs(120);

fn save(name: &str, content: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real/gemini");
    std::fs::create_dir_all(&dir).expect("create fixture dir");
    let path = dir.join(name);
    assert!(
        !content.trim().is_empty(),
        "nothing captured for {}",
        path.display()
    );
    std::fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("captured {}", path.display());
}

fn only_chat(gemini: &Gemini) -> PathBuf {
    let chats = gemini.chats();
    assert_eq!(chats.len(), 1, "{chats:?}");
    chats[0].clone()
}

/// The daily quota as the Gemini API states it (a `QuotaFailure` with a per-day quota id).
fn daily_quota() -> Reply {
    let details = json!([{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel"}]}]);
    Reply::status(
        429,
        &[],
        gemini_error(
            429,
            "RESOURCE_EXHAUSTED",
            "You have exhausted your daily quota on this model.",
            details,
        ),
    )
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_gemini_success_then_a_headless_quota() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text("Hello from fake."));
    let gemini = clients::gemini(&fake.url()).build();
    let session = uuid::Uuid::new_v4().to_string();
    let run = try_run_with_timeout(gemini.run_as(&session, "say hi"), RUN);
    assert!(run.success(), "{}", run.report());
    save("success.output.json", &run.stdout);
    save(
        "success.chat.jsonl",
        &std::fs::read_to_string(only_chat(&gemini)).unwrap(),
    );

    fake.push(daily_quota());
    let resume = [
        "-o",
        "json",
        "--resume",
        session.as_str(),
        "-p",
        "second prompt",
    ];
    let failed = try_run_with_timeout(gemini.command(&resume), RUN);
    assert!(!failed.success(), "{}", failed.report());
    save("daily-quota.stderr.txt", &failed.stderr);
    let mut chat = String::new();
    for file in gemini.chats() {
        chat.push_str(&std::fs::read_to_string(file).unwrap());
    }
    save("headless-quota-rolled-back.chat.jsonl", &chat);
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_gemini_rate_limit_after_its_retries() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::rate_limited(Duration::from_secs(1)));
    let gemini = clients::gemini(&fake.url()).max_attempts(2).build();
    let run = try_run_with_timeout(gemini.command(&["-o", "json", "-p", "plain 429"]), RUN);
    assert!(!run.success(), "{}", run.report());
    save("rate-limit-429.stderr.txt", &run.stderr);
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_gemini_interactive_quota() {
    let fake = FakeProvider::start();
    fake.set_default(daily_quota());
    let gemini = clients::gemini(&fake.url()).build();
    let tmux = Tmux::start(
        gemini.sandbox.dir.path(),
        "gemini",
        &gemini.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text("Type your message", RUN);
    clients::gemini::submit(&tmux, "fix the bug please", RUN);
    tmux.wait_for_text("Keep trying", RUN);
    tmux.key("2");
    let recorded = wait_until(RUN, || {
        gemini
            .chats()
            .iter()
            .any(|c| std::fs::read_to_string(c).is_ok_and(|t| t.contains("\"type\":\"error\"")))
    });
    assert!(recorded, "{}", tmux.capture());
    drop(tmux);
    save(
        "interactive-daily-quota.chat.jsonl",
        &std::fs::read_to_string(only_chat(&gemini)).unwrap(),
    );
}

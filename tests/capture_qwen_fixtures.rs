//! Regenerates `tests/fixtures/real/qwen`: what the real Qwen Code wrote (its chat JSONL and its `-o json`
//! output) when the fake provider answered with success, a quota message, a rate limit, overload and an
//! exhausted context, and after a resume. Ignored by default because it rewrites files in the repository:
//!
//! ```text
//! cargo test --test capture_qwen_fixtures -- --ignored
//! ```

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use support::clients::{self, Qwen};
use support::{FakeProvider, Reply, try_run_with_timeout};

const RUN: Duration = Duration::from_secs(120);

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real/qwen");
    std::fs::create_dir_all(&dir).expect("create fixture dir");
    dir
}

fn save(name: &str, content: &str) {
    let path = out_dir().join(name);
    assert!(
        !content.trim().is_empty(),
        "nothing captured for {}",
        path.display()
    );
    std::fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("captured {}", path.display());
}

/// The session id `qwen -o json` reported.
fn session_of(run: &support::ClientRun) -> String {
    clients::qwen::session_in_output(&run.stdout)
        .unwrap_or_else(|| panic!("no session_id:\n{}", run.report()))
}

/// One scenario: a first turn answered by `reply`, optionally a resume answered by a text.
fn case(name: &str, reply: Reply, resume: bool) {
    let fake = FakeProvider::start();
    fake.push(reply);
    fake.set_default(Reply::text("done"));
    let qwen: Qwen = clients::qwen(&fake.v1_url()).build();
    let run = try_run_with_timeout(qwen.run("say hi"), RUN);
    assert!(!run.timed_out, "{}", run.report());
    let mut runs = format!(
        "first: exit {:?}, {} model request(s), {:.1} s\nstderr: {}\n",
        run.code(),
        fake.model_requests().len(),
        run.elapsed.as_secs_f64(),
        run.stderr.trim()
    );
    save(&format!("{name}.output.json"), &run.stdout);
    let session = session_of(&run);
    if resume {
        let before = fake.model_requests().len();
        let again = try_run_with_timeout(qwen.resume(&session, "continue"), RUN);
        runs.push_str(&format!(
            "resume: exit {:?}, {} model request(s), {:.1} s\nstderr: {}\n",
            again.code(),
            fake.model_requests().len() - before,
            again.elapsed.as_secs_f64(),
            again.stderr.trim()
        ));
        save(&format!("{name}.resume-output.json"), &again.stdout);
    }
    save(&format!("{name}.runs.txt"), &runs);
    save(&format!("{name}.requests.txt"), &fake.describe());
    let chat = qwen.chat_for(&session);
    save(
        &format!("{name}.chat.jsonl"),
        &std::fs::read_to_string(&chat).unwrap_or_else(|e| panic!("read {}: {e}", chat.display())),
    );
}

fn quota(message: &str) -> Reply {
    Reply::status(
        429,
        &[],
        json!({"error": {"message": message, "type": "rate_limit_error", "code": "429"}}),
    )
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_qwen_success() {
    case("success", Reply::text("hello there"), false);
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_qwen_quota() {
    case(
        "quota-exhausted",
        quota("You have exhausted your capacity on this model. Your quota will reset after 1m5s."),
        true,
    );
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_qwen_rate_limit() {
    case(
        "rate-limit-429",
        Reply::rate_limited(Duration::from_secs(1)),
        false,
    );
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_qwen_overloaded() {
    case("overloaded-503", Reply::Overloaded, false);
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_qwen_context() {
    case("prompt-too-long", Reply::PromptTooLong, false);
}

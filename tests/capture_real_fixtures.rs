//! Regenerates `tests/fixtures/real/{claude,codex,opencode}`: what the real clients wrote when
//! the fake provider answered with success, rate limits, usage limits, context overflow, overload
//! and broken streams. Ignored by default because it rewrites files in the repository:
//!
//! ```text
//! cargo test --test capture_real_fixtures -- --ignored --test-threads 1
//! ```
//!
//! Each test asserts only that the scenario produced its file; the content is whatever the client
//! wrote (sandbox paths and ids included).

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use support::clients::{self, Claude, files_with_suffix};
use support::{FakeProvider, Reply, UsageLimit, free_port, run_with_timeout, try_run_with_timeout};

const RUN: Duration = Duration::from_secs(120);
const HOUR: Duration = Duration::from_secs(3600);

fn out_dir(client: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(client);
    std::fs::create_dir_all(&dir).expect("create fixture dir");
    dir
}

fn save(client: &str, name: &str, content: &str) {
    let path = out_dir(client).join(name);
    assert!(
        !content.trim().is_empty(),
        "nothing captured for {}",
        path.display()
    );
    std::fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("captured {}", path.display());
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A hook command appending each payload (one JSON object per line) to `<sandbox>/hooks.jsonl`.
fn hook_command(dir: &Path) -> String {
    let file = dir.join("hooks.jsonl");
    format!("sh -c 'cat >> {0}; echo >> {0}'", file.display())
}

fn claude_with_hooks(builder: clients::ClaudeBuilder, hooks_dir: &Path) -> Claude {
    let cmd = hook_command(hooks_dir);
    let mut b = builder;
    for event in [
        "SessionStart",
        "UserPromptSubmit",
        "Stop",
        "StopFailure",
        "SessionEnd",
    ] {
        b = b.hook(event, &cmd);
    }
    b.build()
}

/// One Claude scenario: a fresh fake answering every model request with `reply`, a sandbox
/// with hooks, and the saved transcript, `-p` JSON result and hook payloads.
struct ClaudeCase {
    fake: FakeProvider,
    claude: Claude,
    session: String,
    hooks: tempfile::TempDir,
}

fn claude_case(
    name: &str,
    reply: Reply,
    configure: impl FnOnce(clients::ClaudeBuilder) -> clients::ClaudeBuilder,
) -> ClaudeCase {
    let fake = FakeProvider::start();
    fake.set_default(reply);
    claude_case_at(name, fake, configure)
}

fn claude_case_at(
    name: &str,
    fake: FakeProvider,
    configure: impl FnOnce(clients::ClaudeBuilder) -> clients::ClaudeBuilder,
) -> ClaudeCase {
    let hooks = tempfile::tempdir().expect("hooks dir");
    let claude = claude_with_hooks(configure(clients::claude(&fake.url())), hooks.path());
    let run = run_with_timeout(claude.print("say hi"), RUN);
    note_run("claude", name, &run, fake.model_requests().len());
    let result = run.json();
    let session = result["session_id"]
        .as_str()
        .expect("session id")
        .to_owned();
    save(
        "claude",
        &format!("{name}.jsonl"),
        &read(&claude.transcript_path(&session)),
    );
    save(
        "claude",
        &format!("{name}.result.json"),
        &format!("{result:#}\n"),
    );
    save(
        "claude",
        &format!("{name}.hooks.jsonl"),
        &hook_payloads(hooks.path(), 0),
    );
    save(
        "claude",
        &format!("{name}.requests.txt"),
        &format!("{}\n", fake.describe()),
    );
    ClaudeCase {
        fake,
        claude,
        session,
        hooks,
    }
}

/// The hook payloads written after byte `from` of the hooks file, one per line.
fn hook_payloads(dir: &Path, from: usize) -> String {
    let file = dir.join("hooks.jsonl");
    if !file.exists() {
        return String::new();
    }
    read(&file)[from..]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_claude() {
    start_runs_file("claude");
    claude_case("success", Reply::text("hi there"), |b| b);
    claude_case(
        "rate-limit-429-api-key",
        Reply::rate_limited(Duration::from_secs(2)),
        |b| b,
    );

    let limit = UsageLimit::session_in(HOUR + Duration::from_secs(420));
    let case = claude_case("usage-limit-session", Reply::UsageLimit(limit), |b| {
        b.subscription()
    });
    // Resume the stopped session: same HOME and cwd; the transcript is appended to.
    case.fake.set_default(Reply::text("resumed fine"));
    let before = read(&case.hooks.path().join("hooks.jsonl")).len();
    let run = run_with_timeout(case.claude.resume_print(&case.session, "continue"), RUN);
    save(
        "claude",
        "usage-limit-session-then-resume.result.json",
        &format!("{:#}\n", run.json()),
    );
    save(
        "claude",
        "usage-limit-session-then-resume.jsonl",
        &read(&case.claude.transcript_path(&case.session)),
    );
    save(
        "claude",
        "usage-limit-session-then-resume.hooks.jsonl",
        &hook_payloads(case.hooks.path(), before),
    );

    claude_case(
        "usage-limit-weekly-berlin",
        Reply::UsageLimit(UsageLimit::weekly_in(HOUR * 30)),
        |b| b.subscription().env("TZ", "Europe/Berlin"),
    );
    claude_case(
        "usage-limit-opus",
        Reply::UsageLimit(UsageLimit::new(support::LimitWindow::Opus, HOUR * 3)),
        |b| b.subscription(),
    );
    claude_case(
        "usage-limit-headers-api-key",
        Reply::UsageLimit(UsageLimit::session_in(HOUR)),
        |b| b,
    );
    claude_case(
        "server-limiting-subscription",
        Reply::rate_limited(Duration::from_secs(2)),
        |b| b.subscription(),
    );
    claude_case("prompt-too-long", Reply::PromptTooLong, |b| b);
    claude_case("overloaded-529", Reply::Overloaded, |b| b);
    claude_case(
        "overloaded-in-stream",
        Reply::stream_failure("overloaded_error", "Overloaded"),
        |b| b,
    );
    claude_case(
        "disconnect-mid-stream",
        Reply::Disconnect {
            partial: "half an ans".into(),
        },
        |b| b,
    );

    // Nothing listens on the base URL.
    let closed = FakeProvider::start();
    let url = format!("http://127.0.0.1:{}", free_port());
    let hooks = tempfile::tempdir().expect("hooks dir");
    let claude = claude_with_hooks(clients::claude(&url), hooks.path());
    let result = run_with_timeout(claude.print("say hi"), RUN).json();
    let session = result["session_id"].as_str().expect("session id");
    save(
        "claude",
        "connection-refused.jsonl",
        &read(&claude.transcript_path(session)),
    );
    save(
        "claude",
        "connection-refused.result.json",
        &format!("{result:#}\n"),
    );
    save(
        "claude",
        "connection-refused.hooks.jsonl",
        &hook_payloads(hooks.path(), 0),
    );
    drop(closed);

    // Claude's own retries (API key, 429 with retry-after 1 s), visible in stream-json output.
    let fake = FakeProvider::start();
    fake.push(support::Scripted::once(Reply::rate_limited(Duration::from_secs(1))).times(2));
    let claude = clients::claude(&fake.url()).max_retries(Some(2)).build();
    let run = run_with_timeout(
        claude.command(&[
            "-p",
            "say hi",
            "--output-format",
            "stream-json",
            "--verbose",
        ]),
        RUN,
    );
    save("claude", "api-retry-then-success.stream.jsonl", &run.stdout);
    save(
        "claude",
        "api-retry-then-success.requests.txt",
        &format!("{}\n", fake.describe()),
    );
}

/// Runs `codex exec --json` for one scenario; saves stdout and the rollout under `name`.
fn codex_case(
    name: &str,
    fake: &FakeProvider,
    builder: clients::CodexBuilder,
) -> (clients::Codex, String) {
    let before = fake.model_requests().len();
    let codex = builder.build();
    let run = try_run_with_timeout(codex.exec("say hi"), RUN);
    assert!(!run.timed_out, "{}", run.report());
    note_run("codex", name, &run, fake.model_requests().len() - before);
    save("codex", &format!("{name}.exec.jsonl"), &run.stdout);
    let thread = run
        .json_lines()
        .iter()
        .find(|e| e["type"] == "thread.started")
        .and_then(|e| e["thread_id"].as_str().map(str::to_owned))
        .expect("thread.started");
    let rollout = codex.rollout_for(&thread).expect("rollout");
    save("codex", &format!("{name}.rollout.jsonl"), &read(&rollout));
    (codex, thread)
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_codex() {
    start_runs_file("codex");
    let fake = FakeProvider::start();
    let url = fake.v1_url();

    fake.push(Reply::text("hi there"));
    codex_case("success", &fake, clients::codex(&url));

    fake.push(Reply::UsageLimit(UsageLimit::session_in(HOUR)));
    let (codex, thread) = codex_case("usage-limit-session", &fake, clients::codex(&url));
    fake.push(Reply::text("resumed fine"));
    let run = run_with_timeout(codex.exec_resume(&thread, "continue"), RUN);
    save(
        "codex",
        "usage-limit-session-then-resume.exec.jsonl",
        &run.stdout,
    );
    let rollouts = codex.rollouts();
    save(
        "codex",
        "usage-limit-session-then-resume.rollout.jsonl",
        &read(&codex.rollout_for(&thread).expect("rollout")),
    );
    assert_eq!(
        rollouts.len(),
        1,
        "resume appends to the same rollout: {rollouts:?}"
    );

    fake.push(Reply::UsageLimit(
        UsageLimit::weekly_in(HOUR * 30).plan("plus"),
    ));
    codex_case("usage-limit-weekly-plus", &fake, clients::codex(&url));

    fake.push(Reply::rate_limited(Duration::from_millis(10)));
    codex_case("rate-limit-429-no-retries", &fake, clients::codex(&url));

    fake.set_default(Reply::rate_limited(Duration::from_millis(10)));
    codex_case(
        "rate-limit-429-default-retries",
        &fake,
        clients::codex(&url).retries(4, 5),
    );
    fake.set_default(Reply::text(support::fake_provider::DEFAULT_TEXT));

    fake.push(Reply::PromptTooLong);
    codex_case("context-window-exceeded", &fake, clients::codex(&url));

    fake.push(Reply::Overloaded);
    codex_case("server-overloaded-in-stream", &fake, clients::codex(&url));

    fake.push(Reply::status(
        503,
        &[],
        serde_json::json!({"error": {"message": "The server is overloaded or not ready yet.", "type": "server_error"}}),
    ));
    codex_case("overloaded-503-http", &fake, clients::codex(&url));

    fake.push(Reply::status(
        500,
        &[],
        serde_json::json!({"error": {"message": "internal", "type": "server_error"}}),
    ));
    codex_case("internal-500", &fake, clients::codex(&url));

    fake.push(Reply::Disconnect {
        partial: "half an ans".into(),
    });
    codex_case("disconnect-mid-stream", &fake, clients::codex(&url));
}

fn opencode_messages(db: &Path) -> Vec<Value> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open opencode.db");
    let mut stmt = conn
        .prepare("SELECT id, session_id, data FROM message ORDER BY time_created, id")
        .expect("query");
    stmt.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
    })
    .expect("rows")
    .map(|r| {
        let (id, session, data) = r.expect("row");
        serde_json::json!({"id": id, "session_id": session, "data": serde_json::from_str::<Value>(&data).expect("json")})
    })
    .collect()
}

/// Runs `opencode run --format json` for one scenario; saves stdout and the message rows.
fn opencode_case(name: &str, default: Reply) {
    let fake = FakeProvider::start();
    fake.set_default(default);
    let oc = clients::opencode(&fake.v1_url()).build();
    let run = try_run_with_timeout(
        oc.command(&["run", "--format", "json", "--title", "capture", "say hi"]),
        RUN,
    );
    assert!(!run.timed_out, "{}", run.report());
    note_run("opencode", name, &run, fake.model_requests().len());
    save(
        "opencode",
        &format!("{name}.run.jsonl"),
        &format!("{}{}", run.stdout, run.stderr),
    );
    let rows: String = opencode_messages(&oc.db_path())
        .iter()
        .map(|m| format!("{m}\n"))
        .collect();
    save("opencode", &format!("{name}.messages.jsonl"), &rows);
    let logs = files_with_suffix(&oc.data_dir.join("log"), ".log");
    if let Some(log) = logs.last() {
        save("opencode", &format!("{name}.log"), &read(log));
    }
}

#[test]
#[ignore = "rewrites tests/fixtures/real; run by hand"]
fn capture_opencode() {
    start_runs_file("opencode");
    opencode_case("success", Reply::text("hi there"));
    opencode_case(
        "rate-limit-429",
        Reply::rate_limited(Duration::from_millis(20)),
    );
    opencode_case("context-overflow", Reply::PromptTooLong);
    // retry-after-ms keeps opencode's five retries short (without it: 2 s doubling, ~60 s).
    opencode_case(
        "overloaded-503",
        Reply::status(
            503,
            &[("retry-after-ms", "20")],
            serde_json::json!({"error": {"message": "The server is overloaded or not ready yet.",
                                         "type": "server_error", "param": null, "code": null}}),
        ),
    );
}

/// Starts `<client>/runs.txt`, the index of how each captured run ended.
fn start_runs_file(client: &str) {
    save(
        client,
        "runs.txt",
        "# scenario: exit code, model requests the fake saw, wall time (written by capture_real_fixtures.rs)\n",
    );
}

/// Appends one scenario's outcome to `<client>/runs.txt`.
fn note_run(client: &str, name: &str, run: &support::ClientRun, requests: usize) {
    use std::io::Write;
    let path = out_dir(client).join("runs.txt");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .expect("open runs.txt");
    writeln!(
        f,
        "{name}: exit {:?}, {} model request(s), {:.1} s",
        run.code(),
        requests,
        run.elapsed.as_secs_f64()
    )
    .expect("write runs.txt");
}

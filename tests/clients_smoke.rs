//! Proves each real client works against the fake provider, and that scripted stops leave the
//! evidence palingenesis reads: Claude's synthetic error line, Codex's failed task_complete,
//! opencode's errored assistant message.
//!
//! Needs the pinned clients: run scripts/install-test-deps.sh first.

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use support::clients::{self, read_jsonl};
use support::tmux::Tmux;
use support::{FakeProvider, Reply, UsageLimit, run_with_timeout, wait_until};

const RUN: Duration = Duration::from_secs(90);
const HOUR: Duration = Duration::from_secs(3600);

/// The last `assistant` line of a Claude transcript.
fn last_assistant(lines: &[Value]) -> Value {
    lines
        .iter()
        .rev()
        .find(|l| l["type"] == "assistant")
        .cloned()
        .unwrap_or_else(|| panic!("no assistant line in {lines:#?}"))
}

fn assistant_text(line: &Value) -> String {
    line["message"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Claude Code's reset time: `1:32am`, `1am` on the hour, with `Mon D, ` in front when more than
/// 24 h away; then the zone in parentheses.
fn claude_reset_text(at: DateTime<Utc>, zone: &str) -> String {
    let time = if at.format("%M").to_string() == "00" {
        at.format("%-I%P").to_string()
    } else {
        at.format("%-I:%M%P").to_string()
    };
    if at - Utc::now() > chrono::Duration::hours(24) {
        format!("{}, {time} ({zone})", at.format("%b %-d"))
    } else {
        format!("{time} ({zone})")
    }
}

#[test]
fn claude_print_succeeds_and_writes_the_transcript() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("hi from the fake"));
    let claude = clients::claude(&fake.url()).build();
    let run = run_with_timeout(claude.print("say hi"), RUN);
    assert!(run.success(), "{}", run.report());
    let result = run.json();
    assert_eq!(result["result"], "hi from the fake", "{}", run.report());
    assert_eq!(result["is_error"], false);
    let session_id = result["session_id"]
        .as_str()
        .expect("session_id")
        .to_owned();

    let reqs = fake.wait_for_requests(1, RUN);
    assert_eq!(reqs[0].last_user_text().as_deref(), Some("say hi"));
    assert_eq!(
        reqs[0].header("x-claude-code-session-id"),
        Some(session_id.as_str())
    );
    // 2.1.197 probed the base URL with HEAD first; 2.1.332 goes straight to /v1/messages.
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.method == "HEAD" || r.method == "POST"),
        "{}",
        fake.describe()
    );

    let transcript = claude.transcript_path(&session_id);
    assert!(
        transcript.is_file(),
        "no transcript at {}",
        transcript.display()
    );
    let lines = read_jsonl(&transcript);
    let first_user = lines
        .iter()
        .find(|l| l["type"] == "user")
        .expect("user line");
    assert_eq!(first_user["message"]["content"], "say hi");
    assert_eq!(first_user["cwd"], claude.sandbox.cwd.display().to_string());
    let last = last_assistant(&lines);
    assert_eq!(assistant_text(&last), "hi from the fake");
    assert!(last.get("isApiErrorMessage").is_none());
}

#[test]
fn claude_rate_limit_429_writes_the_synthetic_error_line() {
    let fake = FakeProvider::start();
    fake.push(Reply::rate_limited(Duration::from_secs(2)));
    let claude = clients::claude(&fake.url()).build();
    let run = run_with_timeout(claude.print("say hi"), RUN);
    assert_eq!(run.code(), Some(1), "{}", run.report());
    let result = run.json();
    assert_eq!(result["is_error"], true);
    assert_eq!(result["api_error_status"], 429);

    let lines = read_jsonl(&claude.transcript_path(result["session_id"].as_str().unwrap()));
    let last = last_assistant(&lines);
    assert_eq!(last["isApiErrorMessage"], true);
    assert_eq!(last["error"], "rate_limit");
    assert_eq!(last["apiErrorStatus"], 429);
    assert_eq!(last["message"]["model"], "<synthetic>");
    let text = assistant_text(&last);
    assert!(
        text.starts_with("API Error: Request rejected (429) · Number of request tokens"),
        "{text}"
    );
    assert_eq!(
        fake.model_requests().len(),
        1,
        "CLAUDE_CODE_MAX_RETRIES=0 must not retry"
    );
}

#[test]
fn claude_subscription_usage_limit_shows_the_session_limit_and_reset() {
    let fake = FakeProvider::start();
    let limit = UsageLimit::session_in(HOUR + Duration::from_secs(60 * 7));
    fake.push(Reply::UsageLimit(limit.clone()));
    let claude = clients::claude(&fake.url())
        .subscription()
        .max_retries(None)
        .build();
    let run = run_with_timeout(claude.print("say hi"), RUN);
    assert_eq!(run.code(), Some(1), "{}", run.report());
    let session_id = run.json()["session_id"].as_str().unwrap().to_owned();

    let last = last_assistant(&read_jsonl(&claude.transcript_path(&session_id)));
    assert_eq!(last["isApiErrorMessage"], true);
    assert_eq!(last["error"], "rate_limit");
    assert_eq!(last["apiErrorStatus"], 429);
    let expected = format!(
        // "session limit" up to 2.1.2xx; the 5-hour window's own name since.
        "You've hit your 5-hour limit · resets {}",
        claude_reset_text(limit.resets_at, "UTC")
    );
    assert_eq!(assistant_text(&last), expected);
    assert_eq!(
        fake.model_requests().len(),
        1,
        "a subscriber's usage limit is not retried"
    );
    let auth = fake.model_requests()[0]
        .header("authorization")
        .map(str::to_owned);
    assert_eq!(
        auth.as_deref(),
        Some("Bearer sk-ant-oat01-fake-palingenesis")
    );
}

#[test]
fn claude_weekly_limit_names_the_date_in_the_process_time_zone() {
    let fake = FakeProvider::start();
    let limit = UsageLimit::weekly_in(HOUR * 30);
    fake.push(Reply::UsageLimit(limit.clone()));
    let claude = clients::claude(&fake.url())
        .subscription()
        .env("TZ", "Europe/Berlin")
        .build();
    let run = run_with_timeout(claude.print("say hi"), RUN);
    let text = run.json()["result"].as_str().unwrap_or_default().to_owned();
    let berlin: DateTime<Utc> = {
        let tz: palingenesis::tz::Tz = "Europe/Berlin".parse().unwrap();
        let local = limit.resets_at.with_timezone(&tz).naive_local();
        DateTime::from_naive_utc_and_offset(local, Utc)
    };
    // Format the Berlin wall-clock time with the same rules (the "> 24 h" test is unaffected).
    let expected = format!(
        "You've hit your weekly limit · resets {}",
        claude_reset_text(berlin, "Europe/Berlin")
    );
    assert_eq!(text, expected, "{}", run.report());
}

#[test]
fn claude_prompt_too_long_and_overloaded_stops() {
    let fake = FakeProvider::start();
    fake.push(Reply::PromptTooLong);
    fake.push(Reply::Overloaded);
    let claude = clients::claude(&fake.url()).build();

    let run = run_with_timeout(claude.print("say hi"), RUN);
    let result = run.json();
    assert_eq!(
        result["terminal_reason"],
        "prompt_too_long",
        "{}",
        run.report()
    );
    let last = last_assistant(&read_jsonl(
        &claude.transcript_path(result["session_id"].as_str().unwrap()),
    ));
    assert_eq!(last["error"], "invalid_request");
    assert_eq!(last["apiErrorStatus"], 400);
    assert!(
        assistant_text(&last).starts_with("Prompt is too long"),
        "{last}"
    );
    assert!(
        last["errorDetails"]
            .as_str()
            .unwrap()
            .contains("prompt is too long: 210000 tokens > 200000 maximum")
    );

    let run = run_with_timeout(claude.print("again"), RUN);
    let result = run.json();
    let last = last_assistant(&read_jsonl(
        &claude.transcript_path(result["session_id"].as_str().unwrap()),
    ));
    assert_eq!(last["error"], "server_error");
    assert_eq!(last["apiErrorStatus"], 529);
    assert!(
        assistant_text(&last).starts_with("API Error: 529 Overloaded"),
        "{last}"
    );
}

/// `thread.started` id and the final `turn.completed` / `turn.failed` event of `codex exec --json`.
fn codex_outcome(events: &[Value]) -> (String, Value) {
    let thread = events
        .iter()
        .find(|e| e["type"] == "thread.started")
        .and_then(|e| e["thread_id"].as_str())
        .expect("thread.started")
        .to_owned();
    let end = events
        .iter()
        .rev()
        .find(|e| e["type"] == "turn.completed" || e["type"] == "turn.failed")
        .cloned()
        .expect("turn end event");
    (thread, end)
}

fn task_complete(lines: &[Value]) -> Value {
    lines
        .iter()
        .rev()
        .find(|l| l["type"] == "event_msg" && l["payload"]["type"] == "task_complete")
        .map(|l| l["payload"].clone())
        .unwrap_or_else(|| panic!("no task_complete in {lines:#?}"))
}

#[test]
fn codex_exec_succeeds_and_writes_the_rollout() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("codex says hi"));
    let codex = clients::codex(&fake.v1_url()).build();
    let run = run_with_timeout(codex.exec("say hi"), RUN);
    assert!(run.success(), "{}", run.report());
    let events = run.json_lines();
    let (thread, end) = codex_outcome(&events);
    assert_eq!(end["type"], "turn.completed");
    assert!(events.iter().any(|e| e["item"]["text"] == "codex says hi"));
    assert!(
        !events.iter().any(|e| e["item"]["type"] == "error"),
        "{}",
        run.report()
    );
    assert_eq!(fake.last_user_text().as_deref(), Some("say hi"));

    let rollout = codex.rollout_for(&thread).expect("rollout file");
    let lines = read_jsonl(&rollout);
    assert_eq!(lines[0]["type"], "session_meta");
    assert_eq!(
        lines[0]["payload"]["cwd"],
        codex.sandbox.cwd.display().to_string()
    );
    assert_eq!(task_complete(&lines)["last_agent_message"], "codex says hi");
}

#[test]
fn codex_usage_limit_fails_the_task_with_usage_limit_exceeded() {
    let fake = FakeProvider::start();
    let limit = UsageLimit::session_in(HOUR);
    fake.push(Reply::UsageLimit(limit.clone()));
    let codex = clients::codex(&fake.v1_url()).build();
    let run = run_with_timeout(codex.exec("say hi"), RUN);
    assert_eq!(run.code(), Some(1), "{}", run.report());
    let (thread, end) = codex_outcome(&run.json_lines());
    // Codex formats the reset in its local zone (TZ=UTC in the sandbox), with a typographic
    // apostrophe; a reset on another day than today carries its date ("Dec 1st, 2026 12:05 AM").
    let reset = limit.resets_at.with_timezone(&palingenesis::tz::Tz::UTC);
    let time = reset.format("%-I:%M %p").to_string();
    let at = if reset.date_naive() == chrono::Utc::now().date_naive() {
        time
    } else {
        use chrono::Datelike;
        let day = reset.day();
        let suffix = match (day % 10, day % 100) {
            (_, 11..=13) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        };
        format!(
            "{} {day}{suffix}, {} {time}",
            reset.format("%b"),
            reset.year()
        )
    };
    let expected = format!("You\u{2019}ve hit your usage limit. Try again at {at}.");
    assert_eq!(end["error"]["message"], expected.as_str());

    let lines = read_jsonl(&codex.rollout_for(&thread).expect("rollout"));
    let done = task_complete(&lines);
    assert_eq!(done["error"]["codex_error_info"], "usage_limit_exceeded");
    assert_eq!(done["error"]["message"], expected.as_str());
    let limits = lines
        .iter()
        .find(|l| l["payload"]["type"] == "token_count" && !l["payload"]["rate_limits"].is_null())
        .map(|l| l["payload"]["rate_limits"].clone())
        .expect("token_count with rate_limits");
    assert_eq!(limits["primary"]["used_percent"], 100.0);
    assert_eq!(limits["primary"]["window_minutes"], 300);
    assert_eq!(limits["primary"]["resets_at"], limit.resets_at.timestamp());
}

#[test]
fn codex_rate_limit_429_exhausts_retries() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::rate_limited(Duration::from_millis(10)));
    let codex = clients::codex(&fake.v1_url()).build();
    let run = run_with_timeout(codex.exec("say hi"), RUN);
    assert_eq!(run.code(), Some(1), "{}", run.report());
    let (thread, end) = codex_outcome(&run.json_lines());
    // Codex appends the provider's x-request-id when there is one.
    assert_eq!(
        end["error"]["message"],
        "exceeded retry limit, last status: 429 Too Many Requests, request id: req_fake_0000"
    );
    let done = task_complete(&read_jsonl(&codex.rollout_for(&thread).expect("rollout")));
    assert_eq!(
        done["error"]["codex_error_info"]["response_too_many_failed_attempts"]["http_status_code"],
        429
    );
}

/// `(role, data)` of every message in opencode's database, oldest first.
fn opencode_messages(db: &std::path::Path) -> Vec<Value> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open opencode.db");
    let mut stmt = conn
        .prepare("SELECT data FROM message ORDER BY time_created, id")
        .expect("query messages");
    stmt.query_map([], |row| row.get::<_, String>(0))
        .expect("rows")
        .map(|r| serde_json::from_str(&r.expect("row")).expect("message json"))
        .collect()
}

#[test]
fn opencode_run_succeeds() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text("opencode hears you"));
    let oc = clients::opencode(&fake.v1_url()).build();
    let run = run_with_timeout(oc.run("say hi"), RUN);
    assert!(run.success(), "{}", run.report());
    assert!(
        run.stdout.contains("opencode hears you"),
        "{}",
        run.report()
    );
    assert_eq!(fake.last_user_text().as_deref(), Some("\"say hi\""));
    let messages = opencode_messages(&oc.db_path());
    let last = messages.last().expect("messages");
    assert_eq!(last["role"], "assistant");
    assert!(last.get("error").is_none(), "{last}");
    assert!(last["time"]["completed"].is_number());
    assert!(
        !oc.sandbox.home.join(".npm").exists(),
        "opencode must not reach the npm registry from the sandbox"
    );
}

#[test]
fn opencode_429_retries_five_times_then_records_the_error() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::rate_limited(Duration::from_millis(20)));
    let oc = clients::opencode(&fake.v1_url()).build();
    let run = run_with_timeout(oc.command(&["run", "--title", "smoke", "say hi"]), RUN);
    assert_eq!(run.code(), Some(1), "{}", run.report());
    assert!(run.stdout.contains("Rate limit reached") || run.stderr.contains("Rate limit reached"));
    assert_eq!(
        fake.model_requests().len(),
        6,
        "1 try + 5 retries:\n{}",
        fake.describe()
    );
    let messages = opencode_messages(&oc.db_path());
    let last = messages.last().expect("messages");
    assert_eq!(last["role"], "assistant");
    assert_eq!(last["error"]["name"], "APIError");
    assert_eq!(last["error"]["data"]["statusCode"], 429);
    assert_eq!(last["error"]["data"]["isRetryable"], true);
    assert_eq!(
        last["error"]["data"]["responseHeaders"]["retry-after-ms"],
        "20"
    );
}

#[test]
fn claude_interactive_in_tmux_answers_then_shows_a_429_at_an_idle_prompt() {
    let fake = FakeProvider::start();
    fake.push(Reply::text("interactive hello"));
    fake.push(Reply::rate_limited(Duration::from_secs(1)));
    let claude = clients::claude(&fake.url()).build();
    let tmux = Tmux::start(
        claude.sandbox.dir.path(),
        "claude",
        &claude.sandbox.shell_line(&[]),
    );
    // ~/.claude.json skips onboarding, the key approval and the trust dialog: straight to ❯.
    tmux.wait_for_text("❯", RUN);
    tmux.type_text("say hi");
    tmux.key("Enter");
    tmux.wait_for_text("interactive hello", RUN);
    tmux.type_text("again");
    tmux.key("Enter");
    tmux.wait_for_text("Request rejected (429)", RUN);

    let transcripts = claude.transcripts();
    assert_eq!(transcripts.len(), 1, "{transcripts:?}");
    let errored = wait_until(RUN, || {
        let lines = read_jsonl(&transcripts[0]);
        lines.iter().any(|l| l["type"] == "assistant")
            && last_assistant(&lines)["isApiErrorMessage"] == true
    });
    assert!(errored, "{:#?}", read_jsonl(&transcripts[0]));
    assert_eq!(fake.model_requests().len(), 2, "{}", fake.describe());
}

/// A long prompt typed in one burst (as palingenesis types a new session's seed) is folded by Claude into a
/// paste placeholder; the screen rules still see it as the typed text, not yet sent, until Enter sends it.
#[test]
fn claude_shows_a_long_typed_prompt_as_a_paste_the_screen_rules_recognise() {
    use palingenesis::interactive::{ScreenRules, ScreenState};
    let rules = palingenesis::assistants::claude::screen::ClaudeScreen;
    let fake = FakeProvider::start();
    fake.push(Reply::text("seed received"));
    let claude = clients::claude(&fake.url()).build();
    let tmux = Tmux::start(
        claude.sandbox.dir.path(),
        "claude",
        &claude.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text("❯", RUN);
    let long: String = (0..60)
        .map(|i| format!("step {i} of the plan is done; "))
        .collect();
    assert!(long.len() > 1_000);
    tmux.type_text(&long);
    let screen = tmux.wait_for_text("[Pasted text #1", RUN);
    let boxed = rules.input_text(&screen).expect("the input box");
    assert!(boxed.contains("[Pasted text #1"), "{screen}");
    assert!(rules.holds_typed(&boxed, &long), "{boxed:?}");
    assert!(
        matches!(rules.detect(&screen), ScreenState::Draft(_)),
        "{screen}"
    );
    tmux.key("Enter");
    tmux.wait_for_text("seed received", RUN);
    // Sent whole, inside Claude's `<pasted_content id="…">` markers (2.1.332).
    let sent = fake.model_requests().last().unwrap().last_user_text();
    assert!(
        sent.as_deref().is_some_and(|t| t.contains(long.trim_end())),
        "{sent:?}"
    );
    let after = tmux.capture();
    assert!(
        !rules.holds_typed(&rules.input_text(&after).unwrap_or_default(), &long),
        "{after}"
    );
}

#[test]
fn claude_project_dir_name_matches_the_client_for_long_and_odd_paths() {
    let fake = FakeProvider::start();
    let mut claude = clients::claude(&fake.url()).build();
    let mut deep = claude.sandbox.cwd.clone();
    while deep.as_os_str().len() <= 230 {
        deep.push("dir.with_odd chars-é");
    }
    std::fs::create_dir_all(&deep).unwrap();
    claude.sandbox.cwd = deep;
    let run = run_with_timeout(claude.print("say hi"), RUN);
    assert!(run.success(), "{}", run.report());
    let session_id = run.json()["session_id"].as_str().unwrap().to_owned();
    let expected = claude.transcript_path(&session_id);
    assert!(
        expected.is_file(),
        "expected {} but Claude wrote {:?}",
        expected.display(),
        claude.transcripts()
    );
}

/// The window palingenesis reads off a Claude transcript's model is the one Claude Code itself runs the model
/// with: the real TUI hands its status line the window (`context_window.context_window_size`), for Claude Code's
/// default model and for models of both sizes. (A 200,000-token model run with the `[1m]` option is recorded
/// like the plain model: palingenesis learns its window only past 200,000 tokens; see `claude::window`.)
#[test]
fn claude_runs_each_model_with_the_window_palingenesis_reads_from_its_transcript() {
    let checks: Vec<_> = [
        "",
        "haiku",
        "claude-opus-4-8",
        "claude-opus-4-6",
        "claude-sonnet-4-5",
    ]
    .into_iter()
    .map(|model| std::thread::spawn(move || window_as_claude_sees_it(model)))
    .collect();
    for check in checks {
        let (recorded, read, window) = check.join().unwrap();
        assert_eq!(read, Some(window), "{recorded}");
    }
}

/// One prompt in the TUI with `model` (`""`: Claude Code's default): the model the transcript recorded, the
/// window palingenesis reads off that transcript line, and the window Claude Code gave its status line.
fn window_as_claude_sees_it(model: &str) -> (String, Option<u64>, u64) {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text("status seen"));
    let dir = tempfile::tempdir().unwrap();
    let status = dir.path().join("status.json");
    let mut builder = clients::claude(&fake.url()).setting(
        "statusLine",
        serde_json::json!({"type": "command", "command": format!("cat > {}", status.display())}),
    );
    if !model.is_empty() {
        builder = builder.setting("model", serde_json::json!(model));
    }
    let claude = builder.build();
    let tmux = Tmux::start(
        claude.sandbox.dir.path(),
        "claude",
        &claude.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text("❯", RUN);
    tmux.type_text("hi");
    tmux.key("Enter");
    tmux.wait_for_text("status seen", RUN);
    let window = || {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&status).ok()?).ok()?;
        let usage = &v["context_window"];
        (usage["total_input_tokens"].as_u64()? > 0).then_some(())?;
        usage["context_window_size"].as_u64()
    };
    assert!(
        wait_until(RUN, || window().is_some()),
        "{model}: no status line"
    );
    let line = last_assistant(&read_jsonl(&claude.transcripts()[0]));
    let read = palingenesis::assistants::claude::usage::from_message(&line["message"]).unwrap();
    let model = line["message"]["model"].as_str().unwrap().to_owned();
    (model, read.window_tokens, window().unwrap())
}

//! `[fallback]` end to end with real clients: a real `claude -p` session stops on a usage limit (the fake
//! Anthropic API answers as for a subscriber, so Claude Code itself writes "You've hit your weekly limit ·
//! resets …"); palingenesis hands the work to a real `codex exec` in the same project against a second fake
//! provider, seeded from Next-step.md — only when fallback is configured and the reset is far away.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;

use support::clients::{self, Claude, Codex};
use support::fake_provider::{FakeProvider, Reply, UsageLimit};
use support::home::{Home, scheduled_at, session_of};
use support::process::run_with_timeout;

const RUN: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(90);
const NOTES: &str = "Step 4: port the relay board driver to the new bus.\n";
const FAST: &str = "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nreset_margin_secs = 2\nverify_timeout_secs = 60\n";
const FALLBACK_TO_CODEX: &str =
    "[fallback]\nenabled = true\nafter_hours = 6\nassistants = [\"codex\"]\n";

/// Three days: a weekly limit, dated by Claude Code ("resets Dec 4, 1:05am").
const DAYS_AWAY: Duration = Duration::from_secs(3 * 24 * 3600);

/// The two fake providers, the Claude sandbox (the project, with its notes) and the Codex sandbox (whose
/// CODEX_HOME the daemon's `[codex]` section uses).
struct Setup {
    anthropic: FakeProvider,
    openai: FakeProvider,
    claude: Claude,
    codex: Codex,
}

fn setup(limit: UsageLimit) -> Setup {
    let s = setup_without_notes(limit);
    std::fs::write(s.claude.sandbox.cwd.join("Next-step.md"), NOTES).unwrap();
    s
}

fn setup_without_notes(limit: UsageLimit) -> Setup {
    let anthropic = FakeProvider::start();
    anthropic.push(Reply::UsageLimit(limit));
    let openai = FakeProvider::start();
    // Hooks and transcripts both report the stop, as for a user who ran `palingenesis hooks install`.
    let mut claude = clients::claude(&anthropic.url()).subscription();
    for e in ["StopFailure", "Stop", "SessionEnd", "SessionStart"] {
        claude = claude.hook(e, &format!("{} hook claude", support::home::BIN));
    }
    let claude = claude.build();
    let codex = clients::codex(&openai.v1_url()).build();
    Setup {
        anthropic,
        openai,
        claude,
        codex,
    }
}

/// The daemon, with Claude's environment (as for the user who ran it), both assistants set up, and `extra`;
/// Claude's hooks find it.
fn daemon(s: &mut Setup, extra: &str) -> Home {
    let key = s
        .codex
        .sandbox
        .env_var(clients::codex::KEY_VAR)
        .unwrap()
        .to_string();
    let codex_home = s.codex.codex_home.display().to_string();
    let home = Home::started_with(
        s.claude.sandbox.env(),
        &format!(
            "{FAST}\n[claude]\nbinary = \"{claude}\"\n\n[codex]\nbinary = \"{codex}\"\nhome = \"{codex_home}\"\n\
             env = {{ CODEX_HOME = \"{codex_home}\", {var} = \"{key}\" }}\n\n{extra}",
            claude = clients::claude_bin().display(),
            codex = clients::codex_bin().display(),
            var = clients::codex::KEY_VAR,
        ),
    );
    s.claude
        .sandbox
        .set_env("PALINGENESIS_HOME", &home.palingenesis_home());
    home
}

type Seen = Arc<Mutex<Vec<String>>>;

/// A local ntfy-style endpoint recording each notification's title.
fn notification_sink() -> (String, Seen) {
    async fn record(State(seen): State<Seen>, headers: HeaderMap) -> &'static str {
        let title = headers
            .get("title")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        seen.lock().unwrap().push(title.to_string());
        "ok"
    }
    let seen: Seen = Arc::default();
    let url =
        support::home::serve_in_thread(Router::new().fallback(record).with_state(seen.clone()));
    (url, seen)
}

/// Runs `claude -p` into the limit; returns its session id.
fn stop_claude(s: &Setup) -> String {
    let run = run_with_timeout(s.claude.print("build the relay board"), RUN);
    assert!(!run.success(), "the usage limit stops the turn");
    let t = s.claude.transcripts();
    assert_eq!(t.len(), 1, "{t:?}");
    t[0].file_stem().unwrap().to_str().unwrap().to_string()
}

/// The session waits for its own reset; nothing was handed to the other assistant.
fn assert_waits_without_hand_off(
    home: &Home,
    s: &Setup,
    session: &str,
    reset: chrono::DateTime<chrono::Utc>,
) {
    let stop = home.wait_event("StopDetected");
    assert_eq!(stop["reason"], "usage_limit");
    // The plan is made in the same step as the stop is judged: once it is recorded, a hand-off would be too.
    let scheduled = home.wait_event("ResumeScheduled");
    assert_eq!(session_of(&scheduled), session);
    assert_eq!(scheduled["action"], "resume_same_session");
    // Claude shows the reset to the minute; palingenesis waits for that minute plus the 2 s margin.
    let late = (scheduled_at(&scheduled) - reset).num_seconds();
    assert!(
        (-60..=62).contains(&late),
        "planned {late} s from the reset"
    );
    assert!(home.events_of("HandedOff").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
    assert!(
        s.openai.requests().is_empty(),
        "nothing reached the other assistant's provider: {}",
        s.openai.describe()
    );
    assert!(
        s.codex.rollouts().is_empty(),
        "no codex session was started"
    );
    let sessions: serde_json::Value =
        serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    assert_eq!(
        sessions["sessions"].as_array().unwrap().len(),
        1,
        "{sessions}"
    );
    assert_eq!(sessions["sessions"][0]["state"], "waiting");
    assert_eq!(s.anthropic.model_requests().len(), 1);
}

#[test]
fn a_weekly_limit_days_away_is_handed_to_codex_seeded_from_next_step() {
    let mut s = setup(UsageLimit::weekly_in(DAYS_AWAY));
    let (ntfy, seen) = notification_sink();
    let notify = format!("[notifications]\nenabled = true\nntfy_url = \"{ntfy}/topic\"\n");
    let home = daemon(&mut s, &format!("{FALLBACK_TO_CODEX}\n{notify}"));
    let session = stop_claude(&s);

    let handed = home.wait_events("HandedOff", 1, WAIT).remove(0);
    assert_eq!(session_of(&handed), session);
    assert_eq!(handed["assistant"], "claude");
    assert_eq!(handed["reason"], "usage_limit");
    let meta = &handed["metadata"];
    assert_eq!(meta["from"]["session"], session.as_str());
    assert_eq!(meta["to"]["assistant"], "codex");
    let thread = meta["to"]["session"].as_str().unwrap().to_string();
    let resets_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(meta["resets_at"].clone()).unwrap();
    assert!(
        resets_at - chrono::Utc::now() > chrono::Duration::days(2),
        "the limit resets days away: {resets_at}"
    );

    // A real `codex exec` ran in the same project, against the second provider, with the seeded prompt.
    let reqs = s.openai.wait_for_requests(1, WAIT);
    let prompt = reqs[0].last_user_text().unwrap_or_default();
    assert!(prompt.contains("port the relay board driver"), "{prompt}");
    assert!(
        !reqs[0].raw_body.contains("build the relay board\""),
        "the new session starts without the old conversation"
    );
    let rollout = s
        .codex
        .rollout_for(&thread)
        .expect("the codex session's rollout");
    let meta_line = &clients::read_jsonl(&rollout)[0];
    assert_eq!(
        meta_line["payload"]["cwd"]
            .as_str()
            .map(std::path::PathBuf::from),
        Some(s.claude.sandbox.cwd.clone()),
        "codex works in the stopped session's project"
    );

    // The codex session is tracked, took over the attempt and was verified; Claude is not resumed.
    let created = home.wait_event("SessionCreated");
    assert_eq!(session_of(&created), thread);
    assert_eq!(created["metadata"]["replaces"], session.as_str());
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), thread);
    assert_eq!(
        s.anthropic.model_requests().len(),
        1,
        "claude is not resumed"
    );
    let started = home.events_of("ResumeStarted");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["action"], "hand_off");
    // The hook's report of the same stop, however late, neither stops the hand-off nor starts another.
    assert_eq!(home.events_of("StopDetected").len(), 1);
    assert!(home.events_of("ResumeFailed").is_empty());

    let sessions: serde_json::Value =
        serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    let state_of = |id: &str| {
        sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"]["id"] == id)
            .unwrap_or_else(|| panic!("{id} not in {sessions}"))["state"]
            .clone()
    };
    assert_eq!(state_of(&session), "handed_off");
    assert_ne!(state_of(&thread), "failed");
    let text = home.ok(&["sessions"]);
    assert!(text.contains("handed_off"), "{text}");

    // The hand-off is announced like other events a person should know about.
    support::home::wait_until(WAIT, || {
        seen.lock()
            .unwrap()
            .iter()
            .any(|t| t.contains("handed off to codex"))
    });
    let sent = home.wait_events("Notification", 1, WAIT);
    assert!(sent.iter().all(|e| e["outcome"] == "sent"), "{sent:?}");
}

#[test]
fn without_fallback_configured_the_session_waits_for_its_reset() {
    let limit = UsageLimit::weekly_in(DAYS_AWAY);
    let reset = limit.resets_at;
    let mut s = setup(limit);
    let home = daemon(&mut s, "");
    let session = stop_claude(&s);
    assert_waits_without_hand_off(&home, &s, &session, reset);
}

#[test]
fn a_reset_an_hour_away_is_waited_for_even_with_fallback() {
    let limit = UsageLimit::session_in(Duration::from_secs(3600));
    let reset = limit.resets_at;
    let mut s = setup(limit);
    let home = daemon(&mut s, FALLBACK_TO_CODEX);
    let session = stop_claude(&s);
    assert_waits_without_hand_off(&home, &s, &session, reset);
}

#[test]
fn a_hand_off_without_notes_to_seed_it_waits_for_the_reset_instead() {
    let limit = UsageLimit::weekly_in(DAYS_AWAY);
    let reset = limit.resets_at;
    let mut s = setup_without_notes(limit);
    let home = daemon(&mut s, FALLBACK_TO_CODEX);
    let session = stop_claude(&s);

    let failed = home.wait_events("ResumeFailed", 1, WAIT).remove(0);
    assert_eq!(session_of(&failed), session);
    let why = failed["message"].as_str().unwrap();
    assert!(
        why.contains("hand-off not started") && why.contains("Next-step.md"),
        "{why}"
    );
    let plans = home.wait_events("ResumeScheduled", 2, WAIT);
    assert_eq!(plans[0]["action"], "hand_off");
    assert_eq!(plans[1]["action"], "resume_same_session");
    let late = (scheduled_at(&plans[1]) - reset).num_seconds();
    assert!(
        (-60..=62).contains(&late),
        "planned {late} s from the reset"
    );
    assert!(home.events_of("HandedOff").is_empty());
    assert!(s.openai.requests().is_empty(), "{}", s.openai.describe());
    let sessions: serde_json::Value =
        serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    assert_eq!(sessions["sessions"][0]["state"], "waiting");
}

//! The early checkpoint on the quota, end to end: the real `codex` TUI in a tmux pane against the fake
//! provider, whose rate-limit headers report the session (5-hour) window 92% used. Codex records them in its
//! rollout (`token_count.rate_limits`); palingenesis reads them, and since the project keeps a next-step file
//! (`[checkpoint]` left at "if the project follows the convention", `quota_percent` at its default, 90) types
//! the quota checkpoint request at the idle composer, once, and audits it as asked because of the quota. Past
//! 90% Codex also opens its "switch to a cheaper model" menu just after the turn: it is closed with Esc, never
//! answered, and the model stays. A headless `codex exec` has no terminal to type into: the crossing is audited
//! as not asked.

mod support;

use std::time::Duration;

use support::clients::{self, codex::AppServers};
use support::fake_provider::{FakeProvider, Reply, Scripted, Turn};
use support::interactive::Pane;
use support::tmux::Tmux;

const RUN: Duration = Duration::from_secs(60);
/// The empty composer's placeholder.
const IDLE: &str = "Ask Codex to do anything";
/// Words of the default quota checkpoint request.
const ASKED: &str = "92% of your session usage limit";

#[test]
fn a_codex_session_near_its_usage_limit_is_typed_the_checkpoint_request_once() {
    let fake = FakeProvider::start();
    fake.set_default(Reply::text("noted"));
    let resets = chrono::Utc::now().timestamp() + 2 * 3_600;
    fake.push(
        Scripted::once(Reply::Turn(
            Turn::text("half of it done").codex_quota(92, resets),
        ))
        .when(|r| r.last_user_text().as_deref() == Some("long task")),
    );
    let mut codex = clients::codex(&fake.v1_url()).tui().build();
    let _servers = AppServers(codex.codex_home.clone());
    std::fs::write(codex.sandbox.cwd.join("Next-step.md"), "# Next step\n").unwrap();
    let home = support::interactive::daemon_for(&mut codex.sandbox, "codex", &clients::codex_bin());
    let tmux = Tmux::start(
        codex.sandbox.dir.path(),
        "codex",
        &codex.sandbox.shell_line(&[]),
    );
    tmux.wait_for_text(IDLE, RUN);
    tmux.submit("long task");

    let asked = home.wait_events("CheckpointRequested", 1, RUN).remove(0);
    assert_eq!(asked["outcome"], "asked", "{asked}\n{}", tmux.screen());
    let meta = &asked["metadata"];
    assert_eq!(meta["how"], "tmux", "{asked}");
    assert_eq!(meta["trigger"], "quota", "{asked}");
    assert_eq!(meta["quota_window"], "session", "{asked}");
    assert_eq!(meta["quota_percent"], 92, "{asked}");
    assert_eq!(meta["threshold"], 90, "{asked}");
    let stated = chrono::DateTime::from_timestamp(resets, 0).unwrap();
    assert_eq!(meta["resets_at"], serde_json::json!(stated), "{asked}");
    support::interactive::assert_checkpoint_asked_once(&fake, &home, &tmux, ASKED, "noted");
    let model = |needle: &str| {
        fake.model_requests()
            .iter()
            .all(|r| r.model() == Some(needle))
    };
    assert!(model("gpt-5.5"), "the model stays: {}", fake.describe());
}

#[test]
fn a_headless_codex_session_near_its_usage_limit_is_recorded_as_not_asked() {
    let fake = FakeProvider::start();
    let resets = chrono::Utc::now().timestamp() + 3 * 3_600;
    fake.set_default(Reply::Turn(Turn::text("done").codex_quota(95, resets)));
    let mut codex = clients::codex(&fake.v1_url()).build();
    std::fs::write(codex.sandbox.cwd.join("Next-step.md"), "# Next step\n").unwrap();
    let home = support::interactive::daemon_for(&mut codex.sandbox, "codex", &clients::codex_bin());
    let run = support::run_with_timeout(codex.exec("one small thing"), RUN);
    assert!(run.success(), "{}", run.report());

    let event = home.wait_events("CheckpointRequested", 1, RUN).remove(0);
    assert_eq!(event["outcome"], "not_asked", "{event}");
    assert_eq!(event["metadata"]["trigger"], "quota", "{event}");
    assert_eq!(event["metadata"]["quota_percent"], 95, "{event}");
    assert_eq!(event["metadata"]["how"], "none", "{event}");
    assert!(
        event["message"]
            .as_str()
            .is_some_and(|m| m.contains("MCP tool `checkpoint`")),
        "says what to do instead: {event}"
    );
    // Nothing was typed or sent on the agent's behalf.
    assert_eq!(fake.model_requests().len(), 1, "{}", fake.describe());
    // `sessions --json` shows how much of the window is spent.
    let list: serde_json::Value = serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    let quota = &list["sessions"][0]["quota"];
    assert_eq!(quota["percent"], 95, "{list}");
    assert_eq!(quota["window"], "session", "{list}");
}

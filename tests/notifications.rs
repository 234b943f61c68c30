//! Notifications end to end: a stop that needs a human reaches every configured channel (served here on
//! 127.0.0.1), and the tokens in their URLs reach neither the audit trail nor the log.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use support::home::Home;

type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

async fn record(
    State(seen): State<Seen>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    let title = headers
        .get("title")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    seen.lock().unwrap().push((
        uri.path().to_string(),
        title,
        String::from_utf8_lossy(&body).into_owned(),
    ));
    "ok"
}

fn serve() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let url =
        support::home::serve_in_thread(Router::new().fallback(record).with_state(seen.clone()));
    (url, seen)
}

#[test]
fn a_stop_that_needs_a_human_is_sent_to_every_channel() {
    let (url, seen) = serve();
    let home = Home::new();
    home.write_config(&format!(
        "[notifications]\nenabled = true\nwebhook_url = \"{url}/hook?token=s3cret-webhook\"\nntfy_url = \"{url}/ntfy-topic\"\n\
         slack_webhook_url = \"{url}/slack\"\ndiscord_webhook_url = \"{url}/discord\"\n\
         telegram_bot_token = \"123:s3cret-telegram\"\ntelegram_chat_id = \"42\"\ntelegram_api_url = \"{url}\"\n"
    ));
    home.start();
    let session = "11111111-2222-4333-8444-555555555555";
    home.claude_api_error(session, "billing_error", "Credit balance is too low");

    let sent = home.wait_events("Notification", 5, Duration::from_secs(30));
    assert!(sent.iter().all(|e| e["outcome"] == "sent"), "{sent:?}");
    let seen = seen.lock().unwrap().clone();
    let path = |p: &str| {
        seen.iter()
            .find(|(path, _, _)| path.starts_with(p))
            .unwrap_or_else(|| panic!("{p}: {seen:?}"))
            .clone()
    };
    let hook: serde_json::Value = serde_json::from_str(&path("/hook").2).unwrap();
    assert_eq!(hook["event"], "NeedsAttention");
    assert_eq!(hook["session"], session);
    assert_eq!(
        path("/ntfy-topic").1,
        "claude session 11111111 needs attention"
    );
    assert!(path("/slack").2.contains("\"text\""));
    assert!(path("/discord").2.contains("\"content\""));
    let tg = path("/bot123:s3cret-telegram/sendMessage");
    assert!(tg.2.contains("\"chat_id\":\"42\""), "{tg:?}");
    assert!(
        home.events_of("ResumeStarted").is_empty(),
        "billing problems are never resumed"
    );

    home.ok(&["daemon", "stop"]);
    let audit = std::fs::read_to_string(home.paths().audit_file()).unwrap();
    for secret in ["s3cret-webhook", "s3cret-telegram"] {
        assert!(!audit.contains(secret), "{secret} leaked into the audit");
        assert!(!home.log().contains(secret), "{secret} leaked into the log");
        assert!(
            !home.ok(&["config", "show"]).contains(secret),
            "{secret} shown by config show"
        );
    }
}

#[test]
fn notify_test_reaches_each_channel_and_names_a_failing_one() {
    let (url, seen) = serve();
    let home = Home::new();
    home.write_config(&format!(
        "[notifications]\nenabled = true\nwebhook_url = \"{url}/hook?token=s3cret-webhook\"\n\
         ntfy_url = \"{url}/ntfy-topic\"\ndiscord_webhook_url = \"http://127.0.0.1:9/s3cret-discord\"\n"
    ));
    // One channel: it is sent now, without a daemon.
    let out = home.ok(&["notify", "test", "ntfy"]);
    assert!(out.contains("ntfy") && out.contains("sent"), "{out}");
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(seen.lock().unwrap()[0].1, "palingenesis: test notification");

    // Every channel: the unreachable one fails the command, named without its URL.
    let (code, out, _) = home.run(&["notify", "test", "--json"]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], false);
    let by_name = |n: &str| {
        v["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_name("webhook")["ok"], true);
    assert_eq!(by_name("discord")["ok"], false);
    assert!(!out.contains("s3cret"), "{out}");
    let hook = seen
        .lock()
        .unwrap()
        .iter()
        .find(|(p, _, _)| p == "/hook")
        .cloned()
        .unwrap();
    assert!(
        hook.2.contains("palingenesis test notification"),
        "{hook:?}"
    );

    // A channel that is not configured is a clear error.
    let (code, _, err) = home.run(&["notify", "test", "slack"]);
    assert_eq!(code, 1);
    assert!(err.contains("no `slack` channel is configured"), "{err}");
}

//! Telegram commands end to end: the real daemon long-polls a fake Bot API on 127.0.0.1 that speaks
//! `getUpdates`, `sendMessage` and `answerCallbackQuery` as Telegram does. An allowlisted chat's `/status`
//! is answered and `/pause` pauses the daemon (seen through the CLI); a stranger is refused and audited; the
//! "Resume now" button on a needs-attention notification resumes that session.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use support::home::{Home, wait_until};

#[derive(Default)]
struct FakeBot {
    /// Every update ever queued; `getUpdates` returns those at or past the offset, as Telegram does.
    updates: Mutex<Vec<Value>>,
    /// (method, body) of every other call.
    calls: Mutex<Vec<(String, Value)>>,
    arrived: tokio::sync::Notify,
}

impl FakeBot {
    fn push(&self, update: Value) {
        let mut u = self.updates.lock().unwrap();
        let id = 1000 + u.len() as i64;
        let mut update = update;
        update["update_id"] = json!(id);
        u.push(update);
        drop(u);
        self.arrived.notify_waiters();
    }

    fn message(&self, chat: i64, user: i64, text: &str) {
        self.message_sent_at(chat, user, text, chrono::Utc::now().timestamp());
    }

    fn message_sent_at(&self, chat: i64, user: i64, text: &str, date: i64) {
        self.push(json!({ "message": {
            "message_id": 1, "date": date,
            "chat": { "id": chat, "type": "private" },
            "from": { "id": user, "is_bot": false, "first_name": "Ada", "username": "ada" },
            "text": text,
        }}));
    }

    fn sent_to(&self, chat: i64) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, b)| {
                m == "sendMessage" && b["chat_id"].to_string().trim_matches('"') == chat.to_string()
            })
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// Wait for the `n`th message to `chat`; returns its text.
    fn wait_reply(&self, chat: i64, n: usize) -> String {
        wait_until(Duration::from_secs(20), || self.sent_to(chat).len() >= n);
        self.sent_to(chat)[n - 1]["text"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

async fn bot_api(
    State(bot): State<Arc<FakeBot>>,
    Path((token, method)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Json<Value> {
    assert_eq!(token, "bot555:s3cret");
    if method != "getUpdates" {
        bot.calls.lock().unwrap().push((method, body));
        return Json(json!({ "ok": true, "result": { "message_id": 9 } }));
    }
    let offset = body["offset"].as_i64().unwrap_or(0);
    let pending = || -> Vec<Value> {
        bot.updates
            .lock()
            .unwrap()
            .iter()
            .filter(|u| u["update_id"].as_i64().unwrap() >= offset)
            .cloned()
            .collect()
    };
    // A long poll: answer as soon as there is something, or empty after a while.
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            let notified = bot.arrived.notified();
            if !pending().is_empty() {
                return;
            }
            notified.await;
        }
    })
    .await;
    Json(json!({ "ok": true, "result": pending() }))
}

fn serve(bot: Arc<FakeBot>) -> String {
    support::home::serve_in_thread(
        Router::new()
            .route("/{token}/{method}", axum::routing::post(bot_api))
            .with_state(bot),
    )
}

const ADA_CHAT: i64 = 42;
const ADA: i64 = 7;
const STRANGER: i64 = 99;

#[test]
fn allowlisted_chat_commands_and_strangers_are_refused() {
    let bot = Arc::new(FakeBot::default());
    let url = serve(bot.clone());
    let home = Home::new();
    home.write_config(&format!(
        "[notifications]\ntelegram_bot_token = \"555:s3cret\"\ntelegram_api_url = \"{url}\"\n\
         [chat]\ntelegram_allowed_chat_ids = [{ADA_CHAT}]\ntelegram_poll_timeout_secs = 1\n"
    ));
    home.start();

    bot.message(ADA_CHAT, ADA, "/status");
    let status = bot.wait_reply(ADA_CHAT, 1);
    assert!(status.contains("(monitoring)"), "{status}");

    bot.message(ADA_CHAT, ADA, "/pause@pali_bot");
    let paused = bot.wait_reply(ADA_CHAT, 2);
    assert!(paused.starts_with("paused"), "{paused}");
    assert!(
        home.ok(&["status"]).contains("PAUSED"),
        "the CLI sees the pause"
    );
    let cmd = home.wait_event("ChatCommand");
    assert_eq!(cmd["action"], "pause");
    assert_eq!(cmd["outcome"], "ok");
    assert_eq!(cmd["metadata"]["channel"], "telegram");
    assert_eq!(cmd["metadata"]["user"], ADA.to_string());
    assert_eq!(cmd["metadata"]["place"], ADA_CHAT.to_string());

    bot.message(STRANGER, STRANGER, "/status");
    bot.message(STRANGER, STRANGER, "/resume");
    let refused = bot.wait_reply(STRANGER, 2);
    assert!(refused.contains("not allowed"), "{refused}");
    assert!(!bot.wait_reply(STRANGER, 1).contains("monitoring"));
    let refusals = home.wait_events("ChatRefused", 2, Duration::from_secs(10));
    assert!(refusals.iter().all(|e| e["reason"] == "not_allowlisted"
        && e["metadata"]["user"] == Value::String(STRANGER.to_string())));
    assert_eq!(refusals[1]["metadata"]["text"], "/resume");
    assert!(
        home.ok(&["status"]).contains("PAUSED"),
        "a stranger cannot resume"
    );

    bot.message(ADA_CHAT, ADA, "frobnicate");
    assert!(
        bot.wait_reply(ADA_CHAT, 3)
            .contains("unknown command `frobnicate`")
    );
    bot.message(ADA_CHAT, ADA, "/help");
    assert!(bot.wait_reply(ADA_CHAT, 4).contains("new-session"));
    bot.message(ADA_CHAT, ADA, "/logs");
    assert!(bot.wait_reply(ADA_CHAT, 5).contains("ChatRefused"));
    bot.message(ADA_CHAT, ADA, "/resume");
    assert!(
        bot.wait_reply(ADA_CHAT, 6)
            .contains("resumed automatic actions")
    );
    assert!(!home.ok(&["status"]).contains("PAUSED"));

    // A command sent ten minutes ago (while the daemon was down) is not obeyed late.
    let ten_minutes_ago = chrono::Utc::now().timestamp() - 600;
    bot.message_sent_at(ADA_CHAT, ADA, "/pause", ten_minutes_ago);
    assert!(
        bot.wait_reply(ADA_CHAT, 7)
            .starts_with("Not done: `/pause` was sent 10 min ago")
    );
    assert!(!home.ok(&["status"]).contains("PAUSED"));

    let audit = std::fs::read_to_string(home.paths().audit_file()).unwrap();
    assert!(
        !audit.contains("s3cret") && !home.log().contains("s3cret"),
        "the token leaked"
    );
}

#[test]
fn the_resume_now_button_on_a_notification_resumes_that_session() {
    let bot = Arc::new(FakeBot::default());
    let url = serve(bot.clone());
    let home = Home::new();
    home.write_config(&format!(
        "[notifications]\nenabled = true\nevents = [\"NeedsAttention\"]\n\
         telegram_bot_token = \"555:s3cret\"\ntelegram_chat_id = \"{ADA_CHAT}\"\ntelegram_api_url = \"{url}\"\n\
         [chat]\ntelegram_allowed_user_ids = [{ADA}]\ntelegram_poll_timeout_secs = 1\n\
         [claude]\nbinary = \"/bin/true\"\n"
    ));
    home.start();
    let session = "11111111-2222-4333-8444-555555555555";
    support::home::write_billing_stop(&home, session);

    bot.wait_reply(ADA_CHAT, 1);
    let note = bot.sent_to(ADA_CHAT)[0].clone();
    assert!(
        note["text"].as_str().unwrap().contains("needs attention"),
        "{note}"
    );
    let buttons = &note["reply_markup"]["inline_keyboard"][0];
    assert_eq!(buttons[0]["text"], "Resume now");
    assert_eq!(buttons[1]["text"], "Leave it");
    let resume = buttons[0]["callback_data"].as_str().unwrap().to_string();
    assert_eq!(resume, format!("resume {session}"));
    assert!(
        home.events_of("ResumeStarted").is_empty(),
        "billing stops wait for a person"
    );

    // Ada presses "Resume now".
    bot.push(json!({ "callback_query": {
        "id": "cbq-1", "chat_instance": "x",
        "from": { "id": ADA, "is_bot": false, "first_name": "Ada" },
        "message": { "message_id": 9, "date": chrono::Utc::now().timestamp(),
                     "chat": { "id": ADA_CHAT, "type": "private" }, "text": note["text"] },
        "data": resume,
    }}));
    let started = home.wait_event("ResumeStarted");
    assert_eq!(started["session"], session);
    let cmd = home.wait_event("ChatCommand");
    assert_eq!(cmd["action"], "resume_session");
    assert_eq!(cmd["session"], session);
    assert_eq!(cmd["metadata"]["user"], ADA.to_string());
    wait_until(Duration::from_secs(10), || {
        bot.calls
            .lock()
            .unwrap()
            .iter()
            .any(|(m, b)| m == "answerCallbackQuery" && b["callback_query_id"] == "cbq-1")
    });
}

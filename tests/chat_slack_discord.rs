//! Slack and Discord commands end to end: the real daemon's HTTP server takes signed Slack slash commands and
//! button presses and Discord interactions, verifies their signatures (and the replay window), obeys
//! allowlisted senders and refuses and audits everything else. The HTTP bearer token does not apply to them.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use support::home::{Home, free_port, wait_until};

const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn slack_signature(secret: &str, ts: i64, body: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn slash(team: &str, user: &str, text: &str, response_url: &str) -> String {
    serde_urlencoded::to_string([
        ("token", "deprecated-verification-token"),
        ("team_id", team),
        ("team_domain", "acme"),
        ("channel_id", "C2147483705"),
        ("channel_name", "ops"),
        ("user_id", user),
        ("user_name", "ada"),
        ("command", "/palingenesis"),
        ("text", text),
        ("api_app_id", "A123456"),
        ("response_url", response_url),
        ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
    ])
    .unwrap()
}

struct Daemon {
    home: Home,
    base: String,
    http: reqwest::Client,
    discord_key: SigningKey,
}

impl Daemon {
    fn start() -> Daemon {
        let port = free_port();
        let discord_key = SigningKey::from_bytes(&[42u8; 32]);
        let public = hex::encode(discord_key.verifying_key().to_bytes());
        let home = Home::new();
        home.write_config(&format!(
            "[http]\nenabled = true\nbind = \"127.0.0.1:{port}\"\ntoken = \"t0ken-abc\"\n\
             [chat]\nslack_signing_secret = \"{SLACK_SECRET}\"\nslack_allowed_team_ids = [\"T0001\"]\n\
             slack_allowed_user_ids = [\"U0ADA\"]\n\
             discord_public_key = \"{public}\"\ndiscord_allowed_user_ids = [\"80351110224678912\"]\n"
        ));
        tokio::task::block_in_place(|| home.start());
        Daemon {
            home,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            discord_key,
        }
    }

    async fn slack(&self, path: &str, body: &str, ts: i64, secret: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/chat/slack/{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", slack_signature(secret, ts, body))
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    async fn discord(&self, body: &Value, ts: i64, key: &SigningKey) -> reqwest::Response {
        let body = body.to_string();
        let sig = key.sign(format!("{ts}{body}").as_bytes());
        self.http
            .post(format!("{}/chat/discord/interactions", self.base))
            .header("content-type", "application/json")
            .header("x-signature-ed25519", hex::encode(sig.to_bytes()))
            .header("x-signature-timestamp", ts.to_string())
            .body(body)
            .send()
            .await
            .unwrap()
    }

    fn cli(&self, args: &[&str]) -> String {
        tokio::task::block_in_place(|| self.home.ok(args))
    }

    /// The refusals audited so far, once there are at least `n` (the audit writer records after the reply).
    fn refusals(&self, n: usize) -> Vec<Value> {
        tokio::task::block_in_place(|| {
            self.home
                .wait_events("ChatRefused", n, std::time::Duration::from_secs(30))
        })
    }
}

/// A stand-in for Slack's `response_url`, recording what the daemon posts there.
fn response_url_server() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let base = support::home::serve_in_thread(
        axum::Router::new()
            .fallback(
                |axum::extract::State(s): axum::extract::State<Arc<Mutex<Vec<Value>>>>,
                 axum::Json(v): axum::Json<Value>| async move {
                    s.lock().unwrap().push(v);
                    "ok"
                },
            )
            .with_state(seen.clone()),
    );
    let url = format!("{base}/commands/T0001/1/abc");
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_commands_are_verified_and_obeyed() {
    let d = Daemon::start();
    let (response_url, posted) = response_url_server();

    let body = slash("T0001", "U0ADA", "status", &response_url);
    let resp = d.slack("commands", &body, now(), SLACK_SECRET).await;
    assert_eq!(resp.status(), 200);
    let reply: Value = resp.json().await.unwrap();
    assert_eq!(reply["response_type"], "ephemeral");
    assert!(
        reply["text"].as_str().unwrap().contains("(monitoring)"),
        "{reply}"
    );

    // Forged (wrong secret) and replayed (stale timestamp) requests change nothing.
    let pause = slash("T0001", "U0ADA", "pause", &response_url);
    let forged = d.slack("commands", &pause, now(), "not-the-secret").await;
    assert_eq!(forged.status(), 401);
    let stale = d.slack("commands", &pause, now() - 600, SLACK_SECRET).await;
    assert_eq!(stale.status(), 401);
    let unsigned = d
        .http
        .post(format!("{}/chat/slack/commands", d.base))
        .body(pause.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert!(!d.cli(&["status"]).contains("PAUSED"));
    let reasons: Vec<Value> = d.refusals(3).iter().map(|e| e["reason"].clone()).collect();
    assert_eq!(reasons, ["bad_signature", "stale_timestamp", "unsigned"]);

    // A signed command from someone outside the allowlist is refused too.
    let stranger = slash("T0001", "U0EVE", "pause", &response_url);
    let reply: Value = d
        .slack("commands", &stranger, now(), SLACK_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert!(reply["text"].as_str().unwrap().contains("not allowed"));
    let refused = d.refusals(4).pop().unwrap();
    assert_eq!(refused["reason"], "not_allowlisted");
    assert_eq!(refused["metadata"]["user"], "U0EVE");
    assert!(!d.cli(&["status"]).contains("PAUSED"));

    let reply: Value = d
        .slack("commands", &pause, now(), SLACK_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        reply["text"].as_str().unwrap().starts_with("paused"),
        "{reply}"
    );
    assert!(d.cli(&["status"]).contains("PAUSED"));
    let cmd = tokio::task::block_in_place(|| d.home.wait_event("ChatCommand"));
    assert_eq!(cmd["metadata"]["channel"], "slack");
    assert_eq!(cmd["metadata"]["user"], "U0ADA");
    assert_eq!(cmd["metadata"]["place"], "T0001");

    // A button press (block_actions) carries its command in the button's value.
    let payload = json!({
        "type": "block_actions",
        "team": { "id": "T0001", "domain": "acme" },
        "user": { "id": "U0ADA", "username": "ada", "team_id": "T0001" },
        "api_app_id": "A123456",
        "response_url": response_url,
        "actions": [{ "type": "button", "action_id": "resume", "block_id": "b1",
                      "text": { "type": "plain_text", "text": "Resume" }, "value": "resume",
                      "action_ts": "1548426417.840180" }],
    });
    let form = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let resp = d.slack("actions", &form, now(), SLACK_SECRET).await;
    assert_eq!(resp.status(), 200);
    wait_until(Duration::from_secs(10), || {
        !posted.lock().unwrap().is_empty()
    });
    let posted = posted.lock().unwrap()[0].clone();
    assert!(
        posted["text"]
            .as_str()
            .unwrap()
            .contains("resumed automatic actions"),
        "{posted}"
    );
    assert_eq!(posted["replace_original"], false);
    assert!(!d.cli(&["status"]).contains("PAUSED"));
    let forged = d.slack("actions", &form, now(), "nope").await;
    assert_eq!(forged.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_interactions_are_verified_and_obeyed() {
    let d = Daemon::start();
    let key = d.discord_key.clone();

    let pong: Value = d
        .discord(
            &json!({ "id": "1", "type": 1, "application_id": "9" }),
            now(),
            &key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pong, json!({ "type": 1 }));

    let command = |user: &str, text: &str| {
        json!({
            "id": "1180000000000000000", "application_id": "9", "type": 2, "token": "itoken", "version": 1,
            "guild_id": "290926798626357250", "channel_id": "290926798626357251",
            "member": { "user": { "id": user, "username": "ada", "discriminator": "0" }, "roles": [] },
            "data": { "id": "77", "name": "palingenesis", "type": 1,
                      "options": [{ "name": "command", "type": 3, "value": text }] },
        })
    };
    let status = command("80351110224678912", "status");
    let reply: Value = d.discord(&status, now(), &key).await.json().await.unwrap();
    assert_eq!(reply["type"], 4);
    assert_eq!(reply["data"]["flags"], 64);
    assert!(
        reply["data"]["content"]
            .as_str()
            .unwrap()
            .contains("(monitoring)"),
        "{reply}"
    );

    // Signed by someone else's key, or replayed: refused.
    let pause = command("80351110224678912", "pause");
    let other = SigningKey::from_bytes(&[1u8; 32]);
    assert_eq!(d.discord(&pause, now(), &other).await.status(), 401);
    assert_eq!(d.discord(&pause, now() - 3600, &key).await.status(), 401);
    assert!(!d.cli(&["status"]).contains("PAUSED"));
    let reasons: Vec<Value> = d.refusals(2).iter().map(|e| e["reason"].clone()).collect();
    assert_eq!(reasons, ["bad_signature", "stale_timestamp"]);

    let stranger = command("1111", "pause");
    let reply: Value = d
        .discord(&stranger, now(), &key)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        reply["data"]["content"]
            .as_str()
            .unwrap()
            .contains("not allowed")
    );
    assert_eq!(d.refusals(3).pop().unwrap()["reason"], "not_allowlisted");
    assert!(!d.cli(&["status"]).contains("PAUSED"));

    let reply: Value = d.discord(&pause, now(), &key).await.json().await.unwrap();
    assert!(
        reply["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("paused")
    );
    assert!(d.cli(&["status"]).contains("PAUSED"));

    // A button (message component) carries its command as custom_id.
    let button = json!({
        "id": "2", "application_id": "9", "type": 3, "token": "t", "version": 1,
        "user": { "id": "80351110224678912", "username": "ada" },
        "message": { "id": "5", "content": "claude session 11111111 needs attention" },
        "data": { "custom_id": "leave 11111111", "component_type": 2 },
    });
    let reply: Value = d.discord(&button, now(), &key).await.json().await.unwrap();
    assert!(
        reply["data"]["content"]
            .as_str()
            .unwrap()
            .contains("no tracked session matches `11111111`"),
        "{reply}"
    );
}

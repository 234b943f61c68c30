//! Outbound notifications against local servers speaking each platform's request and response shapes:
//! payloads (and their buttons), signed webhook bodies, retries that honour `Retry-After` on 429 and back off
//! on 5xx, failures, hourly limits and a full queue audited, digests and the daily summary.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use hmac::{Hmac, Mac};
use palingenesis::audit::{AuditEvent, AuditLog, AuditOptions, AuditWriter, EventType};
use palingenesis::config::{Config, Secret};
use palingenesis::notify::{self, Options};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Clone, Debug)]
struct Seen {
    path: String,
    query: String,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A scripted answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

/// Scripted answers per path prefix (consumed in order; then 200), and how long to stall before answering.
#[derive(Default)]
struct Fake {
    seen: Mutex<Vec<Seen>>,
    script: Mutex<HashMap<String, Vec<Answer>>>,
    stall: Mutex<HashMap<String, Duration>>,
}

impl Fake {
    fn answer(&self, prefix: &str, status: u16, headers: &[(&'static str, &str)], body: &str) {
        let headers = headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
        self.script
            .lock()
            .unwrap()
            .entry(prefix.into())
            .or_default()
            .push((status, headers, body.into()));
    }

    fn to(&self, prefix: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path.starts_with(prefix))
            .cloned()
            .collect()
    }
}

async fn record(
    State(fake): State<Arc<Fake>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let path = uri.path().to_string();
    fake.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        query: uri.query().unwrap_or_default().into(),
        headers,
        body,
        at: Instant::now(),
    });
    let stall = fake
        .stall
        .lock()
        .unwrap()
        .iter()
        .find(|(p, _)| path.starts_with(p.as_str()))
        .map(|(_, d)| *d);
    if let Some(d) = stall {
        tokio::time::sleep(d).await;
    }
    let scripted = {
        let mut script = fake.script.lock().unwrap();
        script
            .iter_mut()
            .find(|(p, q)| path.starts_with(p.as_str()) && !q.is_empty())
            .map(|(_, q)| q.remove(0))
    };
    let (status, headers, body) = scripted.unwrap_or((200, vec![], r#"{"ok":true}"#.into()));
    let mut resp = (StatusCode::from_u16(status).unwrap(), body).into_response();
    for (k, v) in headers {
        resp.headers_mut().insert(k, v.parse().unwrap());
    }
    resp
}

async fn serve(fake: Arc<Fake>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(record).with_state(fake);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

struct Harness {
    audit: AuditWriter,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn start(cfg: &Config, tweak: impl FnOnce(&mut Options)) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path().join("audit.jsonl"), AuditOptions::default()).unwrap();
        let (audit, _task) = AuditWriter::spawn(log);
        let mut opts = Options::from_config(cfg);
        opts.retry.base = Duration::from_millis(50);
        tweak(&mut opts);
        let stop = CancellationToken::new();
        notify::start(
            notify::channels(cfg),
            opts,
            &audit,
            &TaskTracker::new(),
            stop.clone(),
        );
        Harness {
            audit,
            stop,
            _dir: dir,
        }
    }

    /// Record `events`, then collect `n` Notification records.
    async fn notifications(&self, events: Vec<AuditEvent>, n: usize) -> Vec<AuditEvent> {
        let mut rx = self.audit.subscribe();
        for e in events {
            self.audit.record(e);
        }
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), async {
            while out.len() < n {
                let e = rx.recv().await.unwrap();
                if e.event == EventType::Notification {
                    out.push(std::sync::Arc::unwrap_or_clone(e));
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("expected {n} notifications, got {out:#?}"));
        out
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn needs_attention() -> AuditEvent {
    AuditEvent::new(EventType::NeedsAttention)
        .session("11111111-2222-4333-8444-555555555555")
        .assistant(palingenesis::assistants::claude::ASSISTANT)
        .reason("needs_human")
        .message("Credit balance is too low".to_string())
}

fn outcome<'a>(records: &'a [AuditEvent], channel: &str) -> &'a AuditEvent {
    records
        .iter()
        .find(|r| r.action.as_deref() == Some(channel))
        .unwrap_or_else(|| panic!("{channel}: {records:#?}"))
}

#[tokio::test]
async fn every_channel_gets_its_payload_and_retries_honour_retry_after() {
    let fake = Arc::new(Fake::default());
    let url = serve(fake.clone()).await;
    fake.answer("/slack", 429, &[("retry-after", "1")], "rate_limited");
    fake.answer(
        "/bot",
        429,
        &[],
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}"#,
    );
    fake.answer("/discord", 503, &[], "upstream connect error");
    let mut cfg = Config::default();
    let n = &mut cfg.notifications;
    n.enabled = true;
    n.webhook_url = Some(Secret::new(format!("{url}/hook")));
    n.webhook_secret = Some(Secret::new("whsec"));
    n.ntfy_url = Some(Secret::new(format!("{url}/ntfy-topic")));
    n.slack_webhook_url = Some(Secret::new(format!("{url}/slack")));
    n.discord_webhook_url = Some(Secret::new(format!("{url}/discord")));
    n.telegram_bot_token = Some(Secret::new("123:abc"));
    n.telegram_chat_id = Some("42".into());
    n.telegram_api_url = url.clone();
    cfg.chat.telegram_allowed_chat_ids = vec![42];
    cfg.chat.slack_signing_secret = Some(Secret::new("s"));
    cfg.chat.slack_allowed_team_ids = vec!["T1".into()];
    cfg.chat.discord_public_key = Some("00".repeat(32));
    cfg.chat.discord_allowed_user_ids = vec!["1".into()];
    let h = Harness::start(&cfg, |_| {});

    let records = h.notifications(vec![needs_attention()], 5).await;
    assert!(
        records.iter().all(|r| r.outcome.as_deref() == Some("sent")),
        "{records:#?}"
    );
    for (channel, attempts) in [
        ("webhook", 1),
        ("ntfy", 1),
        ("slack", 2),
        ("discord", 2),
        ("telegram", 2),
    ] {
        assert_eq!(
            outcome(&records, channel).metadata["attempts"],
            attempts,
            "{channel}"
        );
        assert_eq!(outcome(&records, channel).metadata["for"], "NeedsAttention");
    }

    // Retry-After (header for Slack, body for Telegram) is waited out before the retry.
    for prefix in ["/slack", "/bot"] {
        let tries = fake.to(prefix);
        assert_eq!(tries.len(), 2, "{prefix}");
        assert!(
            tries[1].at - tries[0].at >= Duration::from_millis(900),
            "{prefix} retried too early"
        );
    }

    let hook = &fake.to("/hook")[0];
    assert_eq!(hook.json()["event"], "NeedsAttention");
    let sig = hook.headers["x-palingenesis-signature"].to_str().unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"whsec").unwrap();
    mac.update(&hook.body);
    assert_eq!(
        sig,
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );

    let ntfy = &fake.to("/ntfy-topic")[0];
    assert_eq!(
        ntfy.headers["title"],
        "claude session 11111111 needs attention"
    );
    assert!(String::from_utf8_lossy(&ntfy.body).contains("Credit balance is too low"));

    let slack = fake.to("/slack")[1].json();
    assert!(slack["text"].as_str().unwrap().contains("needs attention"));
    let buttons = &slack["blocks"][1]["elements"];
    assert_eq!(
        buttons[0]["value"],
        "resume 11111111-2222-4333-8444-555555555555"
    );
    assert_eq!(
        buttons[1]["value"],
        "leave 11111111-2222-4333-8444-555555555555"
    );

    let discord = &fake.to("/discord")[1];
    assert_eq!(discord.query, "with_components=true");
    let body = discord.json();
    assert!(
        body["content"]
            .as_str()
            .unwrap()
            .contains("needs attention")
    );
    assert_eq!(
        body["components"][0]["components"][0]["custom_id"],
        "resume 11111111-2222-4333-8444-555555555555"
    );

    let tg = &fake.to("/bot123:abc/sendMessage")[1];
    let body = tg.json();
    assert_eq!(body["chat_id"], "42");
    assert_eq!(
        body["reply_markup"]["inline_keyboard"][0][1]["text"],
        "Leave it"
    );

    // Events a channel did not ask for are not sent; events without a person needed carry no buttons.
    let done = AuditEvent::new(EventType::ResumeCompleted).session("22222222-x");
    let records = h.notifications(vec![done], 5).await;
    assert!(records.iter().all(|r| r.outcome.as_deref() == Some("sent")));
    assert!(fake.to("/slack")[2].json().get("blocks").is_none());
}

#[tokio::test]
async fn failures_and_hourly_limits_are_audited() {
    let fake = Arc::new(Fake::default());
    let url = serve(fake.clone()).await;
    fake.answer("/ntfy", 400, &[], "bad topic");
    fake.answer("/discord", 500, &[], "");
    fake.answer("/discord", 502, &[], "");
    let mut cfg = Config::default();
    let n = &mut cfg.notifications;
    n.enabled = true;
    n.ntfy_url = Some(Secret::new(format!("{url}/ntfy")));
    n.discord_webhook_url = Some(Secret::new(format!("{url}/discord")));
    n.slack_webhook_url = Some(Secret::new(format!("{url}/slack")));
    n.max_attempts = 2;
    n.channel_max_per_hour.insert("slack".into(), 1);
    n.channel_events
        .insert("ntfy".into(), vec!["NeedsAttention".into()]);
    n.channel_events
        .insert("discord".into(), vec!["NeedsAttention".into()]);
    let h = Harness::start(&cfg, |_| {});

    // ntfy and discord want only the first event; slack may send one message an hour.
    let events = vec![
        needs_attention(),
        AuditEvent::new(EventType::SessionFailed).session("a"),
        AuditEvent::new(EventType::ServerGaveUp),
    ];
    let records = h.notifications(events, 2 + 3).await;
    let by = |channel: &str, outcome: &str| {
        records
            .iter()
            .filter(|r| {
                r.action.as_deref() == Some(channel) && r.outcome.as_deref() == Some(outcome)
            })
            .collect::<Vec<_>>()
    };
    let ntfy = by("ntfy", "failed");
    assert_eq!(ntfy.len(), 1);
    assert_eq!(ntfy[0].message.as_deref(), Some("HTTP 400"));
    assert_eq!(ntfy[0].metadata["attempts"], 1, "a 400 is not retried");
    let discord = by("discord", "failed");
    assert_eq!(discord[0].message.as_deref(), Some("HTTP 502"));
    assert_eq!(discord[0].metadata["attempts"], 2);
    assert_eq!(fake.to("/discord").len(), 2);
    assert_eq!(by("slack", "sent").len(), 1);
    let limited = by("slack", "dropped");
    assert_eq!(limited.len(), 2);
    assert!(
        limited
            .iter()
            .all(|r| r.reason.as_deref() == Some("rate_limited"))
    );
    assert_eq!(limited[1].metadata["dropped_total"], 2);
    assert_eq!(fake.to("/slack").len(), 1);
}

#[tokio::test]
async fn a_full_queue_drops_its_oldest_message_and_says_so() {
    let fake = Arc::new(Fake::default());
    let url = serve(fake.clone()).await;
    fake.stall
        .lock()
        .unwrap()
        .insert("/hook".into(), Duration::from_millis(500));
    let mut cfg = Config::default();
    cfg.notifications.enabled = true;
    cfg.notifications.webhook_url = Some(Secret::new(format!("{url}/hook")));
    cfg.notifications.queue_capacity = 1;
    let h = Harness::start(&cfg, |_| {});

    // The first message is in flight (the server stalls); the next two share a queue of one.
    h.audit.record(needs_attention());
    tokio::time::timeout(Duration::from_secs(10), async {
        while fake.to("/hook").is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let events = vec![
        AuditEvent::new(EventType::SessionFailed).session("a"),
        AuditEvent::new(EventType::ServerGaveUp),
    ];
    let records = h.notifications(events, 3).await;
    let dropped: Vec<_> = records
        .iter()
        .filter(|r| r.outcome.as_deref() == Some("dropped"))
        .collect();
    assert_eq!(dropped.len(), 1, "{records:#?}");
    assert_eq!(dropped[0].reason.as_deref(), Some("queue_full"));
    assert_eq!(
        dropped[0].metadata["for"], "SessionFailed",
        "the oldest waiting message goes"
    );
    assert_eq!(dropped[0].metadata["dropped_total"], 1);
    let hooks: Vec<Value> = fake.to("/hook").iter().map(Seen::json).collect();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[1]["event"], "ServerGaveUp");
}

#[tokio::test]
async fn digests_collect_events_and_the_daily_summary_counts_the_work() {
    let fake = Arc::new(Fake::default());
    let url = serve(fake.clone()).await;
    let mut cfg = Config::default();
    cfg.notifications.enabled = true;
    cfg.notifications.ntfy_url = Some(Secret::new(format!("{url}/ntfy")));
    cfg.notifications.webhook_url = Some(Secret::new(format!("{url}/hook")));
    let first = Arc::new(AtomicBool::new(true));
    let h = Harness::start(&cfg, |o| {
        o.digest = Some((Duration::from_millis(400), 10));
        o.summary = Some(Arc::new(move || {
            // Due soon once, then not again within the test.
            if first.swap(false, Ordering::SeqCst) {
                Duration::from_millis(1500)
            } else {
                Duration::from_secs(24 * 3600)
            }
        }));
    });
    let events = vec![
        AuditEvent::new(EventType::StopDetected).session("a"),
        AuditEvent::new(EventType::StopDetected).session("b"),
        AuditEvent::new(EventType::ResumeCompleted).session("aaaaaaaa-1"),
        AuditEvent::new(EventType::SessionFailed).session("bbbbbbbb-2"),
    ];
    let records = h.notifications(events, 4).await;
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r.metadata["for"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["digest", "digest", "daily_summary", "daily_summary"],
        "{records:#?}"
    );

    let ntfy = fake.to("/ntfy");
    assert_eq!(
        ntfy[0].headers["title"],
        "palingenesis: 2 events in the last 10 min"
    );
    let digest = String::from_utf8_lossy(&ntfy[0].body).into_owned();
    assert!(
        digest.contains("aaaaaaaa resumed")
            && digest.contains("bbbbbbbb: automatic resume gave up"),
        "{digest}"
    );
    let summary = String::from_utf8_lossy(&ntfy[1].body).into_owned();
    assert!(
        summary.contains("stops handled: 2")
            && summary.contains("resumed: 1")
            && summary.contains("sessions given up: 1"),
        "{summary}"
    );
    let hook = fake.to("/hook");
    assert_eq!(hook[0].json()["kind"], "digest");
    assert_eq!(hook[0].json()["events"].as_array().unwrap().len(), 2);
    assert_eq!(hook[1].json()["counts"]["stops"], 2);
}

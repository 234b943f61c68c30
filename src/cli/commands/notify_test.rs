//! `palingenesis notify test [CHANNEL]`: sends a test message to every configured notification channel (or
//! one), now and without the daemon, and says for each whether it arrived. Errors never carry the URL.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::cli::exit;
use crate::config;
use crate::notify::deliver::{Retry, deliver};
use crate::notify::{Channel, Message, channels};
use crate::paths::Paths;

pub async fn run(paths: &Paths, only: Option<String>, json: bool) -> anyhow::Result<u8> {
    let cfg = config::load(&paths.config_file)?;
    let all = channels(&cfg);
    let chosen: Vec<Channel> = all
        .iter()
        .filter(|c| only.as_deref().is_none_or(|name| c.name() == name))
        .cloned()
        .collect();
    if chosen.is_empty() {
        let configured: Vec<&str> = all.iter().map(Channel::name).collect();
        // Nothing chosen although channels exist: the one asked for is not among them.
        let why = if configured.is_empty() {
            "no notification channel is configured (set e.g. notifications.ntfy_url with \
             `palingenesis config set`)"
                .to_string()
        } else {
            format!(
                "no `{}` channel is configured (configured: {})",
                only.as_deref().unwrap_or_default(),
                configured.join(", ")
            )
        };
        anyhow::bail!(why);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(cfg.notifications.timeout_secs.max(1)))
        .build()?;
    let msg = test_message();
    let retry = Retry {
        max_attempts: 1,
        base: Duration::from_secs(1),
    };
    let stop = CancellationToken::new();
    let mut results = Vec::new();
    for ch in &chosen {
        let delivery = deliver(&client, ch, &msg, &retry, &stop).await;
        results.push((ch.name(), delivery.result));
    }
    let failed = results.iter().any(|(_, r)| r.is_err());
    if json {
        let list: Vec<serde_json::Value> = results
            .iter()
            .map(|(name, r)| match r {
                Ok(()) => serde_json::json!({"channel": name, "ok": true}),
                Err(e) => serde_json::json!({"channel": name, "ok": false, "error": e}),
            })
            .collect();
        println!("{}", serde_json::json!({"ok": !failed, "channels": list}));
    } else {
        for (name, r) in &results {
            match r {
                Ok(()) => println!("{name:<9} sent"),
                Err(e) => println!("{name:<9} FAILED: {e}"),
            }
        }
    }
    Ok(if failed { exit::FAILURE } else { exit::OK })
}

fn test_message() -> Message {
    Message {
        title: "palingenesis: test notification".into(),
        body: "If you can read this, palingenesis can reach you here.".into(),
        kind: "test",
        json: serde_json::json!({"event": "Test", "message": "palingenesis test notification"}),
        buttons_for: None,
        event: None,
        session: None,
    }
}

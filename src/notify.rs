//! Telling people: a subscriber of the audit trail that sends selected events to webhook, ntfy, Slack,
//! Discord and Telegram. Delivery runs off the engine's path; a failure is logged (without the secret URL)
//! and audited as a `Notification` event, never retried in a loop.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::audit::{AuditEvent, AuditWriter, EventType};
use crate::config::{NotificationsConfig, Secret};

/// One destination.
#[derive(Debug, Clone)]
enum Channel {
    Webhook(Secret),
    Ntfy(Secret),
    Slack(Secret),
    Discord(Secret),
    Telegram {
        api: String,
        token: Secret,
        chat_id: String,
    },
}

impl Channel {
    fn name(&self) -> &'static str {
        match self {
            Channel::Webhook(_) => "webhook",
            Channel::Ntfy(_) => "ntfy",
            Channel::Slack(_) => "slack",
            Channel::Discord(_) => "discord",
            Channel::Telegram { .. } => "telegram",
        }
    }
}

fn channels(cfg: &NotificationsConfig) -> Vec<Channel> {
    let mut out = Vec::new();
    if let Some(u) = &cfg.webhook_url {
        out.push(Channel::Webhook(u.clone()));
    }
    if let Some(u) = &cfg.ntfy_url {
        out.push(Channel::Ntfy(u.clone()));
    }
    if let Some(u) = &cfg.slack_webhook_url {
        out.push(Channel::Slack(u.clone()));
    }
    if let Some(u) = &cfg.discord_webhook_url {
        out.push(Channel::Discord(u.clone()));
    }
    if let (Some(token), Some(chat_id)) = (&cfg.telegram_bot_token, &cfg.telegram_chat_id) {
        out.push(Channel::Telegram {
            api: cfg.telegram_api_url.trim_end_matches('/').to_string(),
            token: token.clone(),
            chat_id: chat_id.clone(),
        });
    }
    out
}

/// A one-line human summary of an event.
pub fn summary(e: &AuditEvent) -> (String, String) {
    let who = match (&e.assistant, &e.session) {
        (Some(a), Some(s)) => format!("{a} session {}", short(s)),
        (None, Some(s)) => format!("session {}", short(s)),
        _ => "palingenesis".to_string(),
    };
    let title = match e.event {
        EventType::NeedsAttention => format!("{who} needs attention"),
        EventType::SessionFailed => format!("{who}: automatic resume gave up"),
        EventType::ResumeCompleted => format!("{who} resumed"),
        EventType::ServerGaveUp => format!(
            "{} server keeps crashing; supervision stopped",
            e.assistant.map_or("the assistant's", |a| a.as_str())
        ),
        other => format!("{who}: {other}"),
    };
    let mut body = title.clone();
    if let Some(r) = &e.reason {
        body.push_str(&format!(" (reason: {r})"));
    }
    if let Some(m) = &e.message {
        body.push_str(&format!("\n{m}"));
    }
    (title, body)
}

fn short(s: &str) -> &str {
    s.get(..8).unwrap_or(s)
}

async fn deliver(client: &reqwest::Client, ch: &Channel, e: &AuditEvent) -> Result<(), String> {
    let (title, body) = summary(e);
    let req = match ch {
        Channel::Webhook(u) => client.post(u.expose()).json(e),
        Channel::Ntfy(u) => client
            .post(u.expose())
            .header("Title", title)
            .header("Tags", "repeat")
            .body(body),
        Channel::Slack(u) => client
            .post(u.expose())
            .json(&serde_json::json!({ "text": body })),
        Channel::Discord(u) => client
            .post(u.expose())
            .json(&serde_json::json!({ "content": body })),
        Channel::Telegram {
            api,
            token,
            chat_id,
        } => client
            .post(format!("{api}/bot{}/sendMessage", token.expose()))
            .json(&serde_json::json!({ "chat_id": chat_id, "text": body })),
    };
    // reqwest errors can contain the URL (and with it a token): report only the kind of failure.
    let resp = req.send().await.map_err(|e| {
        if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "could not connect".to_string()
        } else {
            "request failed".to_string()
        }
    })?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", resp.status().as_u16()))
    }
}

/// Send every selected event until `stop`. Does nothing (and costs nothing) without channels.
pub fn spawn(
    cfg: &NotificationsConfig,
    audit: &AuditWriter,
    tracker: &tokio_util::task::TaskTracker,
    stop: CancellationToken,
) {
    let chans = channels(cfg);
    if !cfg.enabled || chans.is_empty() {
        return;
    }
    let wanted: Vec<EventType> = cfg
        .events
        .iter()
        .filter_map(|n| serde_json::from_value(serde_json::Value::String(n.clone())).ok())
        .collect();
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(cfg.timeout_secs.max(1)))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "notifications disabled: HTTP client unavailable");
            return;
        }
    };
    let mut rx = audit.subscribe();
    let audit = audit.clone();
    tracker.spawn(async move {
        loop {
            let event = tokio::select! {
                _ = stop.cancelled() => break,
                got = rx.recv() => match got {
                    Ok(e) => e,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        warn!(missed = n, "notifications fell behind; some events were not sent");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            if event.event == EventType::Notification || !wanted.contains(&event.event) {
                continue;
            }
            for ch in &chans {
                let outcome = deliver(&client, ch, &event).await;
                debug!(channel = ch.name(), ?outcome, "notification");
                let mut rec = AuditEvent::new(EventType::Notification)
                    .action(ch.name())
                    .metadata(serde_json::json!({ "for": event.event }));
                if let Some(s) = &event.session {
                    rec = rec.session(s.clone());
                }
                rec = match outcome {
                    Ok(()) => rec.outcome("sent"),
                    Err(why) => {
                        warn!(channel = ch.name(), %why, "notification not delivered");
                        rec.outcome("failed").message(why)
                    }
                };
                audit.record(rec);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_name_the_session_and_reason() {
        let e = AuditEvent::new(EventType::NeedsAttention)
            .session("3bbbed54-fc9b".to_string())
            .assistant(crate::assistants::claude::ASSISTANT)
            .reason("needs_human")
            .message("billing".to_string());
        let (title, body) = summary(&e);
        assert_eq!(title, "claude session 3bbbed54 needs attention");
        assert!(body.contains("reason: needs_human") && body.ends_with("billing"));
    }

    #[test]
    fn channels_follow_config() {
        let mut c = NotificationsConfig::default();
        assert!(channels(&c).is_empty());
        c.ntfy_url = Some(Secret::new("http://x/t"));
        c.telegram_bot_token = Some(Secret::new("1:a"));
        c.telegram_chat_id = Some("5".into());
        let names: Vec<_> = channels(&c).iter().map(Channel::name).collect();
        assert_eq!(names, ["ntfy", "telegram"]);
    }
}

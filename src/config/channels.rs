//! Semantic checks of the notification channels and chat control settings.

use serde::Deserialize;

use super::Config;

/// The notification channel names, as used in `channel_events` and `channel_max_per_hour`.
pub const CHANNELS: [&str; 5] = ["webhook", "ntfy", "slack", "discord", "telegram"];

fn event_known(name: &str) -> bool {
    serde_json::from_value::<crate::audit::EventType>(serde_json::Value::String(name.to_string()))
        .is_ok_and(|e| e != crate::audit::EventType::Unknown)
}

/// An id given as a string or a bare integer (`config set notifications.telegram_chat_id 42`).
pub(super) fn string_or_integer<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(i64),
    }
    Ok(Option::<Id>::deserialize(d)?.map(|id| match id {
        Id::Text(t) => t,
        Id::Number(n) => n.to_string(),
    }))
}

/// Returns the offending dotted key and why.
pub(super) fn validate(c: &Config) -> Result<(), (String, String)> {
    let n = &c.notifications;
    let fail = |k: &str, m: String| Err((k.to_string(), m));
    for (channel, events) in &n.channel_events {
        if !CHANNELS.contains(&channel.as_str()) {
            return fail(
                "notifications.channel_events",
                format!(
                    "`{channel}` is not a channel (one of {})",
                    CHANNELS.join(", ")
                ),
            );
        }
        if let Some(bad) = events.iter().find(|e| !event_known(e)) {
            return fail(
                "notifications.channel_events",
                format!("{channel}: `{bad}` is not an audit event type (e.g. NeedsAttention)"),
            );
        }
    }
    if let Some(channel) = n
        .channel_max_per_hour
        .keys()
        .find(|k| !CHANNELS.contains(&k.as_str()))
    {
        return fail(
            "notifications.channel_max_per_hour",
            format!(
                "`{channel}` is not a channel (one of {})",
                CHANNELS.join(", ")
            ),
        );
    }
    if n.max_attempts == 0 {
        return fail("notifications.max_attempts", "must be at least 1".into());
    }
    if n.retry_base_secs == 0 {
        return fail("notifications.retry_base_secs", "must be at least 1".into());
    }
    if n.queue_capacity == 0 {
        return fail("notifications.queue_capacity", "must be at least 1".into());
    }
    if let Some(at) = &n.daily_summary_at
        && chrono::NaiveTime::parse_from_str(at, "%H:%M").is_err()
    {
        return fail(
            "notifications.daily_summary_at",
            format!("`{at}` is not a time of day as HH:MM (e.g. \"08:30\")"),
        );
    }
    if let Some(key) = &c.chat.discord_public_key {
        let ok = hex::decode(key.trim()).is_ok_and(|b| b.len() == 32);
        if !ok {
            return fail(
                "chat.discord_public_key",
                "must be the application's public key: 64 hex characters".into(),
            );
        }
    }
    if c.chat.telegram_poll_timeout_secs == 0 || c.chat.telegram_poll_timeout_secs > 600 {
        return fail(
            "chat.telegram_poll_timeout_secs",
            "must be between 1 and 600".into(),
        );
    }
    Ok(())
}

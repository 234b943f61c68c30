//! Settings that are valid but leave something inactive: `config set` accepts them one key at a time, and
//! `config validate` and `health` say what is still missing.

use super::Config;

/// One human sentence per half-configured feature, naming the key that is missing.
pub fn warnings(c: &Config) -> Vec<String> {
    let n = &c.notifications;
    let chat = &c.chat;
    let mut out = Vec::new();
    let mut warn = |cond: bool, msg: &str| {
        if cond {
            out.push(msg.to_string());
        }
    };
    warn(
        n.telegram_bot_token.is_some()
            && n.telegram_chat_id.is_none()
            && !chat.telegram_allowlisted(),
        "telegram is inactive: notifications.telegram_bot_token is set but neither notifications.telegram_chat_id \
         (to send) nor chat.telegram_allowed_chat_ids / telegram_allowed_user_ids (to take commands)",
    );
    warn(
        n.telegram_bot_token.is_none() && n.telegram_chat_id.is_some(),
        "telegram notifications are inactive: notifications.telegram_chat_id is set but notifications.telegram_bot_token is not",
    );
    warn(
        n.telegram_bot_token.is_none() && chat.telegram_allowlisted(),
        "telegram commands are inactive: chat.telegram_allowed_* is set but notifications.telegram_bot_token is not",
    );
    warn(
        chat.slack_signing_secret.is_some() && !chat.slack_allowlisted(),
        "slack commands are refused to everyone: set chat.slack_allowed_team_ids or chat.slack_allowed_user_ids",
    );
    warn(
        chat.slack_signing_secret.is_none() && chat.slack_allowlisted(),
        "slack commands are inactive: chat.slack_allowed_* is set but chat.slack_signing_secret is not",
    );
    warn(
        chat.discord_public_key.is_some() && !chat.discord_allowlisted(),
        "discord commands are refused to everyone: set chat.discord_allowed_user_ids or chat.discord_allowed_guild_ids",
    );
    warn(
        chat.discord_public_key.is_none() && chat.discord_allowlisted(),
        "discord commands are inactive: chat.discord_allowed_* is set but chat.discord_public_key is not",
    );
    warn(
        (chat.slack_signing_secret.is_some() || chat.discord_public_key.is_some())
            && !c.http.enabled,
        "slack/discord commands need the HTTP server: set http.enabled = true",
    );
    let any_channel = n.webhook_url.is_some()
        || n.ntfy_url.is_some()
        || n.slack_webhook_url.is_some()
        || n.discord_webhook_url.is_some()
        || (n.telegram_bot_token.is_some() && n.telegram_chat_id.is_some());
    warn(
        n.enabled && !any_channel,
        "notifications are enabled but no channel is complete: set a *_url or both telegram keys",
    );
    warn(
        any_channel && !n.enabled,
        "a notification channel is configured but notifications.enabled = false",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn half_configured_telegram_is_named() {
        let mut c = Config::default();
        assert!(warnings(&c).is_empty());
        c.notifications.telegram_bot_token = Some(Secret::new("1:a"));
        let w = warnings(&c);
        assert!(w[0].contains("telegram_chat_id"), "{w:?}");
        c.notifications.telegram_chat_id = Some("5".into());
        c.notifications.enabled = true;
        assert!(warnings(&c).is_empty(), "{:?}", warnings(&c));
    }
}

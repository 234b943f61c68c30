//! `[chat]`: who may command the daemon from Telegram, Slack and Discord, and how their requests are verified.

use serde::{Deserialize, Serialize};

use super::Secret;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ChatConfig {
    /// Telegram chats whose messages are obeyed. Commands are read by long polling `getUpdates` with
    /// `notifications.telegram_bot_token` whenever this or `telegram_allowed_user_ids` is non-empty.
    pub telegram_allowed_chat_ids: Vec<i64>,
    /// Telegram users whose messages are obeyed (when both lists are set, both must match).
    pub telegram_allowed_user_ids: Vec<i64>,
    /// How long one `getUpdates` long poll waits on Telegram's side.
    pub telegram_poll_timeout_secs: u64,
    /// Slack app signing secret; enables `POST /chat/slack/commands` and `/chat/slack/actions`.
    pub slack_signing_secret: Option<Secret>,
    /// Slack workspaces (team ids, `T...`) whose members may command.
    pub slack_allowed_team_ids: Vec<String>,
    /// Slack users (`U...`) who may command (when both lists are set, both must match).
    pub slack_allowed_user_ids: Vec<String>,
    /// Discord application public key (hex); enables `POST /chat/discord/interactions`.
    pub discord_public_key: Option<String>,
    /// Discord users who may command.
    pub discord_allowed_user_ids: Vec<String>,
    /// Discord servers (guild ids) whose members may command (when both lists are set, both must match).
    pub discord_allowed_guild_ids: Vec<String>,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            telegram_allowed_chat_ids: Vec::new(),
            telegram_allowed_user_ids: Vec::new(),
            telegram_poll_timeout_secs: 30,
            slack_signing_secret: None,
            slack_allowed_team_ids: Vec::new(),
            slack_allowed_user_ids: Vec::new(),
            discord_public_key: None,
            discord_allowed_user_ids: Vec::new(),
            discord_allowed_guild_ids: Vec::new(),
        }
    }
}

impl ChatConfig {
    /// Whether anyone at all may command over Telegram.
    pub fn telegram_allowlisted(&self) -> bool {
        !self.telegram_allowed_chat_ids.is_empty() || !self.telegram_allowed_user_ids.is_empty()
    }
    pub fn slack_allowlisted(&self) -> bool {
        !self.slack_allowed_team_ids.is_empty() || !self.slack_allowed_user_ids.is_empty()
    }
    pub fn discord_allowlisted(&self) -> bool {
        !self.discord_allowed_user_ids.is_empty() || !self.discord_allowed_guild_ids.is_empty()
    }
}

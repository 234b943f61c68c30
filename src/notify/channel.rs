//! The configured destinations, each with its own event filter and rate limit.

use reqwest::RequestBuilder;

use super::message::Message;
use super::{discord, ntfy, slack, telegram, webhook};
use crate::audit::EventType;
use crate::config::{Config, Secret};

/// Where a channel's messages go.
#[derive(Debug, Clone)]
pub enum Target {
    Webhook {
        url: Secret,
        secret: Option<Secret>,
    },
    Ntfy(Secret),
    Slack {
        url: Secret,
        buttons: bool,
    },
    Discord {
        url: Secret,
        buttons: bool,
    },
    Telegram {
        api: String,
        token: Secret,
        chat_id: String,
        buttons: bool,
    },
}

/// One destination.
#[derive(Debug, Clone)]
pub struct Channel {
    pub target: Target,
    /// Event types sent (the channel's own list, else `notifications.events`).
    pub events: Vec<EventType>,
    pub max_per_hour: Option<u32>,
}

impl Channel {
    pub fn name(&self) -> &'static str {
        match self.target {
            Target::Webhook { .. } => "webhook",
            Target::Ntfy(_) => "ntfy",
            Target::Slack { .. } => "slack",
            Target::Discord { .. } => "discord",
            Target::Telegram { .. } => "telegram",
        }
    }

    pub fn wants(&self, e: EventType) -> bool {
        self.events.contains(&e)
    }

    pub fn request(&self, client: &reqwest::Client, msg: &Message) -> RequestBuilder {
        match &self.target {
            Target::Webhook { url, secret } => webhook::request(client, url, secret.as_ref(), msg),
            Target::Ntfy(url) => ntfy::request(client, url, msg),
            Target::Slack { url, buttons } => slack::request(client, url, *buttons, msg),
            Target::Discord { url, buttons } => discord::request(client, url, *buttons, msg),
            Target::Telegram {
                api,
                token,
                chat_id,
                buttons,
            } => telegram::request(client, api, token, chat_id, *buttons, msg),
        }
    }
}

fn event_types(names: &[String]) -> Vec<EventType> {
    names
        .iter()
        .filter_map(|n| serde_json::from_value(serde_json::Value::String(n.clone())).ok())
        .collect()
}

/// Every complete channel in the config (a half-configured one is inactive; `config validate` says so).
pub fn channels(cfg: &Config) -> Vec<Channel> {
    let n = &cfg.notifications;
    let chat = &cfg.chat;
    let mut targets = Vec::new();
    if let Some(url) = &n.webhook_url {
        targets.push(Target::Webhook {
            url: url.clone(),
            secret: n.webhook_secret.clone(),
        });
    }
    if let Some(u) = &n.ntfy_url {
        targets.push(Target::Ntfy(u.clone()));
    }
    if let Some(u) = &n.slack_webhook_url {
        targets.push(Target::Slack {
            url: u.clone(),
            buttons: chat.slack_signing_secret.is_some() && chat.slack_allowlisted(),
        });
    }
    if let Some(u) = &n.discord_webhook_url {
        targets.push(Target::Discord {
            url: u.clone(),
            buttons: chat.discord_public_key.is_some() && chat.discord_allowlisted(),
        });
    }
    if let (Some(token), Some(chat_id)) = (&n.telegram_bot_token, &n.telegram_chat_id) {
        targets.push(Target::Telegram {
            api: n.telegram_api_url.trim_end_matches('/').to_string(),
            token: token.clone(),
            chat_id: chat_id.clone(),
            buttons: chat.telegram_allowlisted(),
        });
    }
    let default_events = event_types(&n.events);
    targets
        .into_iter()
        .map(|target| {
            let mut ch = Channel {
                target,
                events: default_events.clone(),
                max_per_hour: None,
            };
            let name = ch.name();
            if let Some(own) = n.channel_events.get(name) {
                ch.events = event_types(own);
            }
            ch.max_per_hour = n.channel_max_per_hour.get(name).copied().filter(|m| *m > 0);
            ch
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_follow_config() {
        let mut c = Config::default();
        assert!(channels(&c).is_empty());
        c.notifications.ntfy_url = Some(Secret::new("http://x/t"));
        c.notifications.telegram_bot_token = Some(Secret::new("1:a"));
        assert_eq!(
            channels(&c).len(),
            1,
            "a token without a chat id is inactive"
        );
        c.notifications.telegram_chat_id = Some("5".into());
        c.notifications
            .channel_events
            .insert("telegram".into(), vec!["SessionFailed".into()]);
        c.notifications
            .channel_max_per_hour
            .insert("ntfy".into(), 3);
        let chans = channels(&c);
        let names: Vec<_> = chans.iter().map(Channel::name).collect();
        assert_eq!(names, ["ntfy", "telegram"]);
        assert!(chans[0].wants(EventType::NeedsAttention) && chans[0].max_per_hour == Some(3));
        assert!(
            !chans[1].wants(EventType::NeedsAttention) && chans[1].wants(EventType::SessionFailed)
        );
    }
}

//! Telegram: the bot long-polls `getUpdates` (no public endpoint needed), obeys messages and button presses
//! from allowlisted chats and users, and answers with `sendMessage` / `answerCallbackQuery`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::{ChatControl, Sender};
use crate::config::{ChatConfig, NotificationsConfig, Secret};

/// Telegram refuses messages longer than this.
const MAX_TEXT: usize = 4000;
/// Messages older than this (sent while the daemon was down) are not obeyed.
const MAX_AGE_SECS: i64 = super::signature::REPLAY_WINDOW_SECS;
/// Longest pause between failed polls.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Everything the poller needs.
pub struct TelegramBot {
    api: String,
    token: Secret,
    chats: Vec<String>,
    users: Vec<String>,
    poll_timeout_secs: u64,
    request_timeout: Duration,
    control: ChatControl,
}

impl TelegramBot {
    /// `None` unless a bot token and an allowlist are configured.
    pub fn from_config(
        n: &NotificationsConfig,
        chat: &ChatConfig,
        control: ChatControl,
    ) -> Option<Self> {
        let token = n.telegram_bot_token.clone()?;
        if !chat.telegram_allowlisted() {
            return None;
        }
        let ids = |v: &[i64]| v.iter().map(i64::to_string).collect();
        Some(TelegramBot {
            api: n.telegram_api_url.trim_end_matches('/').to_string(),
            token,
            chats: ids(&chat.telegram_allowed_chat_ids),
            users: ids(&chat.telegram_allowed_user_ids),
            poll_timeout_secs: chat.telegram_poll_timeout_secs,
            request_timeout: Duration::from_secs(n.timeout_secs.max(1)),
            control,
        })
    }

    fn url(&self, method: &str) -> String {
        format!("{}/bot{}/{method}", self.api, self.token.expose())
    }

    /// Poll until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(self.poll_timeout_secs) + self.request_timeout)
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "telegram commands disabled: HTTP client unavailable");
                return;
            }
        };
        let mut offset: Option<i64> = None;
        let mut backoff = Duration::from_secs(1);
        loop {
            let got = tokio::select! {
                _ = stop.cancelled() => return,
                got = self.poll(&client, offset) => got,
            };
            match got {
                Ok(updates) => {
                    backoff = Duration::from_secs(1);
                    for u in updates {
                        offset = Some(u.update_id + 1);
                        self.on_update(&client, u).await;
                    }
                }
                Err(why) => {
                    warn!(%why, retry_in = ?backoff, "telegram getUpdates failed");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    async fn poll(
        &self,
        client: &reqwest::Client,
        offset: Option<i64>,
    ) -> Result<Vec<Update>, String> {
        let resp = client
            .post(self.url("getUpdates"))
            .json(&json!({
                "offset": offset,
                "timeout": self.poll_timeout_secs,
                "allowed_updates": ["message", "callback_query"],
            }))
            .send()
            .await
            // reqwest errors carry the URL, and with it the token.
            .map_err(|e| e.without_url().to_string())?;
        let status = resp.status();
        let body: ApiReply<Vec<Update>> =
            resp.json().await.map_err(|e| e.without_url().to_string())?;
        match body.result {
            Some(r) if body.ok => Ok(r),
            _ => Err(format!(
                "HTTP {}: {}",
                status.as_u16(),
                body.description.unwrap_or_default()
            )),
        }
    }

    async fn on_update(&self, client: &reqwest::Client, u: Update) {
        if let Some(m) = u.message {
            let (Some(text), Some(from)) = (m.text, m.from) else {
                return;
            };
            let sender = self.sender(from, m.chat.id);
            let allowed = sender.allowed(&self.users, &self.chats);
            let age = chrono::Utc::now().timestamp() - m.date;
            let reply = if age > MAX_AGE_SECS && allowed {
                debug!(
                    update = u.update_id,
                    age, "not obeying a command sent too long ago"
                );
                format!(
                    "Not done: `{text}` was sent {} min ago, while palingenesis was not running. Send it again if you still want it.",
                    age / 60
                )
            } else {
                self.control.handle(&sender, allowed, &text).await
            };
            self.send(client, m.chat.id, &reply).await;
        } else if let Some(q) = u.callback_query {
            let Some(chat) = q.message.as_ref().map(|m| m.chat.id) else {
                return;
            };
            let sender = self.sender(q.from, chat);
            let allowed = sender.allowed(&self.users, &self.chats);
            let reply = self
                .control
                .handle(&sender, allowed, q.data.as_deref().unwrap_or_default())
                .await;
            let short: String = reply.chars().take(190).collect();
            self.call(
                client,
                "answerCallbackQuery",
                json!({ "callback_query_id": q.id, "text": short }),
            )
            .await;
            self.send(client, chat, &reply).await;
        }
    }

    fn sender(&self, from: TgUser, chat: i64) -> Sender {
        Sender {
            platform: "telegram",
            user: from.id.to_string(),
            place: Some(chat.to_string()),
            name: from.username.or(from.first_name),
        }
    }

    async fn send(&self, client: &reqwest::Client, chat: i64, text: &str) {
        let text: String = text.chars().take(MAX_TEXT).collect();
        self.call(
            client,
            "sendMessage",
            json!({ "chat_id": chat, "text": text }),
        )
        .await;
    }

    async fn call(&self, client: &reqwest::Client, method: &str, body: serde_json::Value) {
        let sent = client
            .post(self.url(method))
            .timeout(self.request_timeout)
            .json(&body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => warn!(
                method,
                status = r.status().as_u16(),
                "telegram refused a reply"
            ),
            Err(e) => warn!(method, error = %e.without_url(), "telegram reply not sent"),
        }
    }
}

#[derive(Deserialize)]
struct ApiReply<T> {
    ok: bool,
    result: Option<T>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    message: Option<Message>,
    callback_query: Option<CallbackQuery>,
}

#[derive(Deserialize)]
struct Message {
    date: i64,
    chat: Chat,
    from: Option<TgUser>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
}

#[derive(Deserialize)]
struct TgUser {
    id: i64,
    username: Option<String>,
    first_name: Option<String>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    id: String,
    from: TgUser,
    message: Option<Message>,
    data: Option<String>,
}

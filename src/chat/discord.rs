//! Discord: the application's Interactions Endpoint URL (`POST /chat/discord/interactions`). Every request
//! is verified with the application's Ed25519 public key; `PING` is answered with `PONG`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use super::signature;
use super::{ChatControl, Sender};
use crate::config::ChatConfig;

/// Discord refuses message content longer than this.
const MAX_CONTENT: usize = 2000;
/// Interaction response flag: only the invoking user sees the reply.
const EPHEMERAL: u64 = 64;

#[derive(Clone)]
pub struct DiscordState {
    pub control: ChatControl,
    pub public_key: String,
    pub users: Vec<String>,
    pub guilds: Vec<String>,
}

impl DiscordState {
    /// `None` unless `[chat].discord_public_key` is set.
    pub fn from_config(cfg: &ChatConfig, control: ChatControl) -> Option<Self> {
        Some(DiscordState {
            control,
            public_key: cfg.discord_public_key.clone()?,
            users: cfg.discord_allowed_user_ids.clone(),
            guilds: cfg.discord_allowed_guild_ids.clone(),
        })
    }
}

#[derive(Deserialize)]
struct Interaction {
    #[serde(rename = "type")]
    kind: u8,
    guild_id: Option<String>,
    member: Option<Member>,
    user: Option<User>,
    #[serde(default)]
    data: Value,
}

#[derive(Deserialize)]
struct Member {
    user: User,
}

#[derive(Deserialize)]
struct User {
    id: String,
    username: Option<String>,
}

/// The command text of an application command or a button.
fn text_of(kind: u8, data: &Value) -> String {
    if kind == 3 {
        return data["custom_id"].as_str().unwrap_or_default().to_string();
    }
    let name = data["name"].as_str().unwrap_or_default();
    let args = data["options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["value"].as_str())
        .collect::<Vec<_>>()
        .join(" ");
    // `/palingenesis command: pause` carries the command in an option; `/pause` is the command itself.
    if name == "palingenesis" {
        args
    } else {
        format!("{name} {args}")
    }
}

pub async fn interaction(
    State(state): State<DiscordState>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResponse {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = signature::Signed {
        timestamp: header("x-signature-timestamp"),
        signature: header("x-signature-ed25519"),
        body: &body,
        now: chrono::Utc::now().timestamp(),
    };
    if let Err(why) = signature::verify_discord(&state.public_key, &signed) {
        state
            .control
            .refuse("discord", why.reason(), None, None)
            .await;
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    let Ok(i) = serde_json::from_slice::<Interaction>(&body) else {
        return (StatusCode::BAD_REQUEST, "not an interaction").into_response();
    };
    if i.kind == 1 {
        return Json(serde_json::json!({ "type": 1 })).into_response();
    }
    let Some(user) = i.member.map(|m| m.user).or(i.user) else {
        return (StatusCode::BAD_REQUEST, "interaction without a user").into_response();
    };
    let sender = Sender {
        platform: "discord",
        user: user.id,
        place: i.guild_id,
        name: user.username,
    };
    let allowed = sender.allowed(&state.users, &state.guilds);
    let reply = state
        .control
        .handle(&sender, allowed, &text_of(i.kind, &i.data))
        .await;
    let content: String = reply.chars().take(MAX_CONTENT).collect();
    Json(serde_json::json!({ "type": 4, "data": { "content": content, "flags": EPHEMERAL } }))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_text_from_interactions() {
        let slash = serde_json::json!({"name": "palingenesis", "options": [{"name": "command", "type": 3, "value": "resume abc"}]});
        assert_eq!(text_of(2, &slash), "resume abc");
        let own = serde_json::json!({"name": "pause"});
        assert_eq!(text_of(2, &own).trim(), "pause");
        let button = serde_json::json!({"custom_id": "leave abc", "component_type": 2});
        assert_eq!(text_of(3, &button), "leave abc");
    }
}

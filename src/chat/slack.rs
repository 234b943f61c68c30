//! Slack: slash commands (`POST /chat/slack/commands`) and notification buttons
//! (`POST /chat/slack/actions`, the app's Interactivity request URL), both signed with the app's signing
//! secret.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde::Deserialize;

use serde::de::DeserializeOwned;

use super::signature::{self, Signed};
use super::{ChatControl, Sender};
use crate::config::{ChatConfig, Secret};

#[derive(Clone)]
pub struct SlackState {
    pub control: ChatControl,
    pub secret: Secret,
    pub teams: Vec<String>,
    pub users: Vec<String>,
    /// Posts button results to Slack's `response_url`.
    pub client: reqwest::Client,
}

impl SlackState {
    /// `None` unless `[chat].slack_signing_secret` is set.
    pub fn from_config(
        cfg: &ChatConfig,
        control: ChatControl,
        client: reqwest::Client,
    ) -> Option<Self> {
        Some(SlackState {
            control,
            secret: cfg.slack_signing_secret.clone()?,
            teams: cfg.slack_allowed_team_ids.clone(),
            users: cfg.slack_allowed_user_ids.clone(),
            client,
        })
    }

    /// Verify the signature, then decode the form; a refusal is audited and answered here.
    async fn verified<T: DeserializeOwned>(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<T, (StatusCode, String)> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let signed = Signed {
            timestamp: header("x-slack-request-timestamp"),
            signature: header("x-slack-signature"),
            body,
            now: chrono::Utc::now().timestamp(),
        };
        if let Err(why) = signature::verify_slack(self.secret.expose(), &signed) {
            self.control.refuse("slack", why.reason(), None, None).await;
            return Err((StatusCode::UNAUTHORIZED, why.to_string()));
        }
        serde_urlencoded::from_bytes(body)
            .map_err(|_| (StatusCode::BAD_REQUEST, "not a Slack request".to_string()))
    }

    fn sender(&self, team: Option<String>, user: String, name: Option<String>) -> (Sender, bool) {
        let sender = Sender {
            platform: "slack",
            user,
            place: team,
            name,
        };
        let allowed = sender.allowed(&self.users, &self.teams);
        (sender, allowed)
    }
}

/// The fields of a slash command palingenesis uses (Slack sends more).
#[derive(Deserialize)]
struct SlashCommand {
    /// Slack checks the endpoint's certificate with `ssl_check=1` and no command.
    ssl_check: Option<String>,
    team_id: Option<String>,
    #[serde(default)]
    user_id: String,
    user_name: Option<String>,
    #[serde(default)]
    text: String,
}

pub async fn command(
    State(state): State<SlackState>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResponse {
    let cmd: SlashCommand = match state.verified(&headers, &body).await {
        Ok(c) => c,
        Err(refused) => return refused.into_response(),
    };
    if cmd.ssl_check.as_deref() == Some("1") {
        return StatusCode::OK.into_response();
    }
    let (sender, allowed) = state.sender(cmd.team_id, cmd.user_id, cmd.user_name);
    let reply = state.control.handle(&sender, allowed, &cmd.text).await;
    Json(serde_json::json!({ "response_type": "ephemeral", "text": reply })).into_response()
}

#[derive(Deserialize)]
struct ActionForm {
    payload: String,
}

#[derive(Deserialize)]
struct BlockActions {
    team: Option<IdOnly>,
    user: SlackUser,
    #[serde(default)]
    actions: Vec<ButtonAction>,
    response_url: Option<String>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
struct SlackUser {
    id: String,
    username: Option<String>,
}

#[derive(Deserialize)]
struct ButtonAction {
    /// The command text the button carries (`resume <session>`, `leave <session>`).
    value: Option<String>,
}

pub async fn action(
    State(state): State<SlackState>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResponse {
    let form: ActionForm = match state.verified(&headers, &body).await {
        Ok(f) => f,
        Err(refused) => return refused.into_response(),
    };
    let payload = serde_json::from_str::<BlockActions>(&form.payload).ok();
    let Some(p) = payload else {
        return (StatusCode::BAD_REQUEST, "not an interaction payload").into_response();
    };
    let Some(text) = p.actions.into_iter().find_map(|a| a.value) else {
        return StatusCode::OK.into_response();
    };
    let (sender, allowed) = state.sender(p.team.map(|t| t.id), p.user.id, p.user.username);
    let reply = state.control.handle(&sender, allowed, &text).await;
    let message = serde_json::json!({ "response_type": "ephemeral", "replace_original": false, "text": reply });
    if let Some(url) = p.response_url {
        // Slack shows a button's result only through its response_url.
        let client = state.client.clone();
        let message = message.clone();
        crate::tasks::spawn(async move {
            if let Err(e) = client.post(url).json(&message).send().await {
                tracing::warn!(error = %e.without_url(), "could not post the button result to Slack");
            }
        });
    }
    Json(message).into_response()
}

//! The Slack and Discord endpoints, merged into the daemon's HTTP server. They are authenticated by their
//! platform's request signatures, not by the HTTP bearer token.

use axum::Router;
use axum::routing::post;

use super::ChatControl;
use super::discord::{self, DiscordState};
use super::slack::{self, SlackState};
use crate::config::ChatConfig;

pub const SLACK_COMMANDS: &str = "/chat/slack/commands";
pub const SLACK_ACTIONS: &str = "/chat/slack/actions";
pub const DISCORD_INTERACTIONS: &str = "/chat/discord/interactions";

/// Routes for each platform configured in `[chat]`; empty when none is.
pub fn router(cfg: &ChatConfig, control: &ChatControl) -> Router {
    let mut app = Router::new();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    if let Some(state) = SlackState::from_config(cfg, control.clone(), client) {
        app = app.merge(
            Router::new()
                .route(SLACK_COMMANDS, post(slack::command))
                .route(SLACK_ACTIONS, post(slack::action))
                .with_state(state),
        );
    }
    if let Some(state) = DiscordState::from_config(cfg, control.clone()) {
        app = app.merge(
            Router::new()
                .route(DISCORD_INTERACTIONS, post(discord::interaction))
                .with_state(state),
        );
    }
    app
}

//! Discord webhook: `content`, plus buttons when Discord commands are set up (the webhook must belong to
//! the application; presses arrive at `/chat/discord/interactions`).

use reqwest::RequestBuilder;
use serde_json::json;

use super::message::Message;
use crate::config::Secret;

/// Discord refuses longer content.
const MAX_CONTENT: usize = 2000;

pub fn payload(msg: &Message, buttons: bool) -> serde_json::Value {
    let content: String = msg.body.chars().take(MAX_CONTENT).collect();
    let mut body = json!({ "content": content });
    let row: Vec<serde_json::Value> = msg
        .buttons()
        .into_iter()
        .filter(|_| buttons)
        .map(|b| {
            // Style 1 is "primary" (blurple), 2 "secondary" (grey).
            let style = if b.primary { 1 } else { 2 };
            json!({ "type": 2, "style": style, "label": b.label, "custom_id": b.command })
        })
        .collect();
    if !row.is_empty() {
        body["components"] = json!([{ "type": 1, "components": row }]);
    }
    body
}

pub fn request(
    client: &reqwest::Client,
    url: &Secret,
    buttons: bool,
    msg: &Message,
) -> RequestBuilder {
    let body = payload(msg, buttons);
    let req = client.post(url.expose());
    // Application-owned webhooks send interactive components only when asked to.
    let req = if body.get("components").is_some() {
        req.query(&[("with_components", "true")])
    } else {
        req
    };
    req.json(&body)
}

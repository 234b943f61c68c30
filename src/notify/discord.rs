//! Discord webhook: `content`, plus buttons when Discord commands are set up (the webhook must belong to
//! the application; presses arrive at `/chat/discord/interactions`).

use reqwest::RequestBuilder;
use serde_json::json;

use super::message::Message;
use crate::chat::command::{leave_button, resume_button};
use crate::config::Secret;

/// Discord refuses longer content.
const MAX_CONTENT: usize = 2000;

pub fn payload(msg: &Message, buttons: bool) -> serde_json::Value {
    let content: String = msg.body.chars().take(MAX_CONTENT).collect();
    let mut body = json!({ "content": content });
    if let (true, Some(session)) = (buttons, &msg.buttons_for) {
        body["components"] = json!([{ "type": 1, "components": [
            { "type": 2, "style": 1, "label": "Resume now", "custom_id": resume_button(session) },
            { "type": 2, "style": 2, "label": "Leave it", "custom_id": leave_button(session) }
        ]}]);
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

//! Slack incoming webhook: `text`, plus Block Kit buttons when Slack commands are set up (their presses
//! arrive at `/chat/slack/actions`).

use reqwest::RequestBuilder;
use serde_json::json;

use super::message::Message;
use crate::chat::command::{leave_button, resume_button};
use crate::config::Secret;

pub fn payload(msg: &Message, buttons: bool) -> serde_json::Value {
    let mut body = json!({ "text": msg.body });
    if let (true, Some(session)) = (buttons, &msg.buttons_for) {
        body["blocks"] = json!([
            { "type": "section", "text": { "type": "mrkdwn", "text": msg.body } },
            { "type": "actions", "elements": [
                { "type": "button", "style": "primary", "action_id": "resume",
                  "text": { "type": "plain_text", "text": "Resume now" }, "value": resume_button(session) },
                { "type": "button", "action_id": "leave",
                  "text": { "type": "plain_text", "text": "Leave it" }, "value": leave_button(session) }
            ]}
        ]);
    }
    body
}

pub fn request(
    client: &reqwest::Client,
    url: &Secret,
    buttons: bool,
    msg: &Message,
) -> RequestBuilder {
    client.post(url.expose()).json(&payload(msg, buttons))
}

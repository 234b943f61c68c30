//! Slack incoming webhook: `text`, plus Block Kit buttons when Slack commands are set up (their presses
//! arrive at `/chat/slack/actions`).

use reqwest::RequestBuilder;
use serde_json::json;

use super::message::Message;
use crate::config::Secret;

pub fn payload(msg: &Message, buttons: bool) -> serde_json::Value {
    let mut body = json!({ "text": msg.body });
    let elements: Vec<serde_json::Value> = msg
        .buttons()
        .into_iter()
        .filter(|_| buttons)
        .map(|b| {
            let mut e = json!({ "type": "button", "action_id": b.command.split(' ').next(),
                "text": { "type": "plain_text", "text": b.label }, "value": b.command });
            if b.primary {
                e["style"] = json!("primary");
            }
            e
        })
        .collect();
    if !elements.is_empty() {
        body["blocks"] = json!([
            { "type": "section", "text": { "type": "mrkdwn", "text": msg.body } },
            { "type": "actions", "elements": elements }
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

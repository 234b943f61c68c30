//! Telegram: `sendMessage` to the configured chat, with inline "Resume now" / "Leave it" buttons when
//! Telegram commands are set up (the bot's poller receives the presses).

use reqwest::RequestBuilder;
use serde_json::json;

use super::message::Message;
use crate::config::Secret;

/// Telegram refuses longer messages.
const MAX_TEXT: usize = 4000;
/// Telegram refuses longer callback data.
const MAX_CALLBACK: usize = 64;

fn callback(text: String) -> String {
    // Session ids resolve by unique prefix, so a cut id still names its session.
    let mut end = text.len().min(MAX_CALLBACK);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

pub fn payload(chat_id: &str, msg: &Message, buttons: bool) -> serde_json::Value {
    let text: String = msg.body.chars().take(MAX_TEXT).collect();
    let mut body = json!({ "chat_id": chat_id, "text": text });
    let row: Vec<serde_json::Value> = msg
        .buttons()
        .into_iter()
        .filter(|_| buttons)
        .map(|b| json!({ "text": b.label, "callback_data": callback(b.command) }))
        .collect();
    if !row.is_empty() {
        body["reply_markup"] = json!({ "inline_keyboard": [row] });
    }
    body
}

pub fn request(
    client: &reqwest::Client,
    api: &str,
    token: &Secret,
    chat_id: &str,
    buttons: bool,
    msg: &Message,
) -> RequestBuilder {
    client
        .post(format!("{api}/bot{}/sendMessage", token.expose()))
        .json(&payload(chat_id, msg, buttons))
}

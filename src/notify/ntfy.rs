//! ntfy: a plain-text POST to the topic URL with a `Title` header.

use reqwest::RequestBuilder;

use super::message::Message;
use crate::config::Secret;

pub fn request(client: &reqwest::Client, url: &Secret, msg: &Message) -> RequestBuilder {
    client
        .post(url.expose())
        .header("Title", msg.title.clone())
        .header("Tags", "repeat")
        .body(msg.body.clone())
}

//! Generic webhook: the audit event (or digest / summary object) POSTed as JSON, signed when a secret is set.

use reqwest::RequestBuilder;

use super::message::Message;
use crate::config::Secret;

/// Header carrying `sha256=<hex HMAC-SHA256 of the exact body bytes>` under `notifications.webhook_secret`.
pub const SIGNATURE_HEADER: &str = "X-Palingenesis-Signature";

pub fn request(
    client: &reqwest::Client,
    url: &Secret,
    secret: Option<&Secret>,
    msg: &Message,
) -> RequestBuilder {
    let body = serde_json::to_vec(&msg.json).unwrap_or_default();
    let mut req = client
        .post(url.expose())
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if let Some(secret) = secret {
        let sig = crate::chat::signature::hmac_sha256_hex(secret.expose().as_bytes(), &[&body]);
        req = req.header(SIGNATURE_HEADER, format!("sha256={sig}"));
    }
    req.body(body)
}

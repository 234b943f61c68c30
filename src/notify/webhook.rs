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

#[cfg(test)]
mod tests {
    /// IDNA is built without Unicode tables (Cargo.toml, `idna_adapter`): ASCII host names are taken as
    /// they always were, in any case; a non-ASCII one is refused as a bad URL; its punycode form works.
    #[test]
    fn host_names_are_taken_in_ascii_or_punycode() {
        let host = |u: &str| reqwest::Url::parse(u).map(|u| u.host_str().map(str::to_owned));
        assert_eq!(
            host("https://Hooks.Slack.COM/services/x")
                .unwrap()
                .as_deref(),
            Some("hooks.slack.com")
        );
        assert_eq!(
            host("http://127.0.0.1:8080/hook").unwrap().as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            host("https://xn--bcher-kva.example/hook")
                .unwrap()
                .as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert!(host("https://bücher.example/hook").is_err());
    }
}

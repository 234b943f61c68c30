//! Request signatures: Slack's `v0` HMAC-SHA256, Discord's Ed25519, and the HMAC that signs outgoing
//! webhook bodies. Comparisons are constant time; timestamps outside [`REPLAY_WINDOW_SECS`] are refused.
//! The primitives are ring's, the library the TLS stack already links (the tests sign with other
//! implementations).

use ring::{hmac, signature};

/// How far a signed request's timestamp may be from now, either way.
pub const REPLAY_WINDOW_SECS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing signature or timestamp header")]
    Missing,
    #[error("timestamp outside the replay window")]
    Stale,
    #[error("signature does not match")]
    Bad,
}

impl SignatureError {
    /// The audit `reason` for a refusal.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing => "unsigned",
            SignatureError::Stale => "stale_timestamp",
            SignatureError::Bad => "bad_signature",
        }
    }
}

/// Lowercase hex HMAC-SHA256 of `parts`, concatenated, under `key`.
pub fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, key));
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.sign().as_ref())
}

fn fresh(timestamp: &str, now: i64) -> Result<(), SignatureError> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| SignatureError::Bad)?;
    if (now - ts).abs() > REPLAY_WINDOW_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// A request as received: its timestamp and signature headers, raw body, and the receiver's clock.
pub struct Signed<'a> {
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
    /// Unix seconds.
    pub now: i64,
}

impl<'a> Signed<'a> {
    fn headers(&self) -> Result<(&'a str, &'a str), SignatureError> {
        match (self.timestamp, self.signature) {
            (Some(ts), Some(sig)) => Ok((ts, sig)),
            _ => Err(SignatureError::Missing),
        }
    }
}

/// Slack: `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{body}`.
pub fn verify_slack(secret: &str, req: &Signed) -> Result<(), SignatureError> {
    let (ts, sig) = req.headers()?;
    let (body, now) = (req.body, req.now);
    fresh(ts, now)?;
    let given = sig
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureError::Bad)?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let signed = [b"v0:", ts.as_bytes(), b":", body].concat();
    hmac::verify(&key, &signed, &given).map_err(|_| SignatureError::Bad)
}

/// Discord: `X-Signature-Ed25519` is the hex Ed25519 signature of `{X-Signature-Timestamp}{body}` by the
/// application's key; `public_key_hex` is its public half.
pub fn verify_discord(public_key_hex: &str, req: &Signed) -> Result<(), SignatureError> {
    let (ts, sig) = req.headers()?;
    let (body, now) = (req.body, req.now);
    let key = hex::decode(public_key_hex.trim())
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or(SignatureError::Bad)?;
    let sig = hex::decode(sig)
        .ok()
        .filter(|s| s.len() == 64)
        .ok_or(SignatureError::Bad)?;
    let message = [ts.as_bytes(), body].concat();
    signature::UnparsedPublicKey::new(&signature::ED25519, key)
        .verify(&message, &sig)
        .map_err(|_| SignatureError::Bad)?;
    // Checked after the signature so a forged request is reported as forged, not as late.
    fresh(ts, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signed<'a>(
        ts: Option<&'a str>,
        sig: Option<&'a str>,
        body: &'a [u8],
        now: i64,
    ) -> Signed<'a> {
        Signed {
            timestamp: ts,
            signature: sig,
            body,
            now,
        }
    }

    #[test]
    fn slack_signatures_and_replay_window() {
        // The example from Slack's "Verifying requests" guide.
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let ts = "1531420618";
        let sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(
            verify_slack(secret, &signed(Some(ts), Some(sig), body, 1531420618)),
            Ok(())
        );
        assert_eq!(
            verify_slack(secret, &signed(Some(ts), Some(sig), body, 1531420618 + 301)),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_slack("other", &signed(Some(ts), Some(sig), body, 1531420618)),
            Err(SignatureError::Bad)
        );
        assert_eq!(
            verify_slack(secret, &signed(None, Some(sig), body, 0)),
            Err(SignatureError::Missing)
        );
        let mine = format!(
            "v0={}",
            hmac_sha256_hex(secret.as_bytes(), &[b"v0:", ts.as_bytes(), b":", body])
        );
        assert_eq!(mine, sig);
    }

    #[test]
    fn discord_signatures() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let public = hex::encode(key.verifying_key().to_bytes());
        let body = br#"{"type":1}"#;
        let ts = "1700000000";
        let sig = hex::encode(key.sign(&[ts.as_bytes(), body].concat()).to_bytes());
        assert_eq!(
            verify_discord(&public, &signed(Some(ts), Some(&sig), body, 1700000000)),
            Ok(())
        );
        assert_eq!(
            verify_discord(
                &public,
                &signed(Some(ts), Some(&sig), br#"{"type":2}"#, 1700000000)
            ),
            Err(SignatureError::Bad)
        );
        assert_eq!(
            verify_discord(
                &public,
                &signed(Some(ts), Some(&sig), body, 1700000000 + 600)
            ),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_discord(&public, &signed(Some(ts), Some("zz"), body, 1700000000)),
            Err(SignatureError::Bad)
        );
    }
}

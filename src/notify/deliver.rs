//! One message to one channel, with retries: network errors, 429 and 5xx answers are retried with
//! exponential backoff, and a server's `Retry-After` (header, or Telegram's / Discord's `retry_after` in the
//! body) is honoured. Errors never carry the URL (it may hold a token).

use std::time::Duration;

use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;

use super::channel::Channel;
use super::message::Message;

/// The longest wait between attempts, whatever a server asks for.
const MAX_DELAY: Duration = Duration::from_secs(600);

/// How delivery went.
#[derive(Debug, PartialEq)]
pub struct Delivery {
    pub result: Result<(), String>,
    pub attempts: u32,
}

enum Attempt {
    Sent,
    Retry {
        why: String,
        after: Option<Duration>,
    },
    Fail(String),
}

pub struct Retry {
    pub max_attempts: u32,
    pub base: Duration,
}

impl Retry {
    fn backoff(&self, attempt: u32) -> Duration {
        self.base
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(MAX_DELAY)
    }
}

pub async fn deliver(
    client: &reqwest::Client,
    ch: &Channel,
    msg: &Message,
    retry: &Retry,
    stop: &CancellationToken,
) -> Delivery {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (why, after) = match once(client, ch, msg).await {
            Attempt::Sent => {
                return Delivery {
                    result: Ok(()),
                    attempts: attempt,
                };
            }
            Attempt::Fail(why) => {
                return Delivery {
                    result: Err(why),
                    attempts: attempt,
                };
            }
            Attempt::Retry { why, after } => (why, after),
        };
        if attempt >= retry.max_attempts.max(1) {
            return Delivery {
                result: Err(why),
                attempts: attempt,
            };
        }
        let wait = after
            .unwrap_or_else(|| retry.backoff(attempt))
            .min(MAX_DELAY);
        tracing::debug!(channel = ch.name(), %why, ?wait, "notification will be retried");
        tokio::select! {
            _ = stop.cancelled() => return Delivery { result: Err(format!("{why}; stopped before retrying")), attempts: attempt },
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn once(client: &reqwest::Client, ch: &Channel, msg: &Message) -> Attempt {
    let resp = match ch.request(client, msg).send().await {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "request failed"
            };
            return Attempt::Retry {
                why: why.into(),
                after: None,
            };
        }
    };
    let status = resp.status();
    if status.is_success() {
        return Attempt::Sent;
    }
    let why = format!("HTTP {}", status.as_u16());
    if status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error() {
        return Attempt::Fail(why);
    }
    let header = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let after = match header {
        Some(d) => Some(d),
        None => resp
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|b| retry_after_in_body(&b)),
    };
    Attempt::Retry { why, after }
}

/// `Retry-After: <seconds>` or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v.trim()).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

/// Telegram: `{"parameters": {"retry_after": 5}}`; Discord: `{"retry_after": 0.5}`.
fn retry_after_in_body(b: &serde_json::Value) -> Option<Duration> {
    let secs = b["parameters"]["retry_after"]
        .as_f64()
        .or(b["retry_after"].as_f64())?;
    (secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(MAX_DELAY.as_secs_f64())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_every_form() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert!(parse_retry_after("soon").is_none());
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        assert!(parse_retry_after(&later).unwrap() > Duration::from_secs(20));
        let tg =
            serde_json::json!({"ok": false, "error_code": 429, "parameters": {"retry_after": 3}});
        assert_eq!(retry_after_in_body(&tg), Some(Duration::from_secs(3)));
        let dc = serde_json::json!({"message": "You are being rate limited.", "retry_after": 0.25, "global": false});
        assert_eq!(retry_after_in_body(&dc), Some(Duration::from_millis(250)));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let r = Retry {
            max_attempts: 5,
            base: Duration::from_secs(2),
        };
        assert_eq!(r.backoff(1), Duration::from_secs(2));
        assert_eq!(r.backoff(3), Duration::from_secs(8));
        assert_eq!(r.backoff(30), MAX_DELAY);
    }
}

//! Whether each configured notification channel's server can be reached, without sending anything: a TCP
//! connection to its host and port, given up after a short timeout. Only the host and port are shown (the
//! rest of a channel's URL may hold a token).

use std::time::Duration;

use crate::config::Config;
use crate::notify::channel::Target;
use crate::notify::{Channel, channels};

use super::{Check, Level, check};

/// How long a connection may take before the channel counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

pub(super) async fn checks(config: &Config) -> Vec<Check> {
    let mut out = Vec::new();
    for ch in channels(config) {
        out.push(probe(&ch).await);
    }
    out
}

async fn probe(ch: &Channel) -> Check {
    let name = format!("notify {}", ch.name());
    let fix = format!(
        "check the {} URL in [notifications] and the network; `palingenesis notify test {}` sends a test",
        ch.name(),
        ch.name()
    );
    let (host, port) = match endpoint(ch) {
        Ok(hp) => hp,
        Err(why) => return check(name, Level::Fail, why).fix(fix),
    };
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(_)) => check(name, Level::Ok, format!("{host}:{port} reachable")),
        Ok(Err(e)) => check(name, Level::Fail, format!("{host}:{port} unreachable: {e}")).fix(fix),
        Err(_) => {
            let secs = CONNECT_TIMEOUT.as_secs();
            check(
                name,
                Level::Fail,
                format!("{host}:{port}: no connection in {secs}s"),
            )
            .fix(fix)
        }
    }
}

/// The host and port a channel sends to.
fn endpoint(ch: &Channel) -> Result<(String, u16), String> {
    let url = match &ch.target {
        Target::Webhook { url, .. }
        | Target::Ntfy(url)
        | Target::Slack { url, .. }
        | Target::Discord { url, .. } => url.expose().to_string(),
        Target::Telegram { api, .. } => api.clone(),
    };
    let parsed = reqwest::Url::parse(&url).map_err(|e| format!("its URL does not parse ({e})"))?;
    let host = parsed.host_str().ok_or("its URL names no host")?;
    let port = parsed
        .port_or_known_default()
        .ok_or("its URL names no port")?;
    Ok((host.trim_matches(['[', ']']).to_string(), port))
}

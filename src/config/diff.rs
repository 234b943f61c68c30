//! Which keys differ between two configurations, as dotted names (`resume.prompt`, `http.bind`,
//! `claude.binary`): what a reload has to apply. Secrets are compared by value but named only by key.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Config, Secret};

/// Every key whose value differs between `old` and `new`, sorted. A section added or removed names its keys.
pub fn changed_keys(old: &Config, new: &Config) -> Vec<String> {
    let mut keys = BTreeSet::new();
    let (a, b) = (as_json(old), as_json(new));
    let sections: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for section in sections {
        let (sa, sb) = (a.get(section), b.get(section));
        if sa == sb {
            continue;
        }
        match (sa.and_then(Value::as_object), sb.and_then(Value::as_object)) {
            (Some(x), Some(y)) => {
                let names: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for name in names.into_iter().filter(|n| x.get(*n) != y.get(*n)) {
                    keys.insert(format!("{section}.{name}"));
                }
            }
            (x, y) => {
                let names = x.into_iter().chain(y).flat_map(|o| o.keys());
                keys.extend(names.map(|n| format!("{section}.{n}")));
                if x.is_none() && y.is_none() {
                    keys.insert(section.clone());
                }
            }
        }
    }
    for (name, x, y) in secrets(old)
        .into_iter()
        .zip(secrets(new))
        .map(|(a, b)| (a.0, a.1, b.1))
    {
        if x.map(Secret::expose) != y.map(Secret::expose) {
            keys.insert(name.to_string());
        }
    }
    keys.into_iter().collect()
}

fn as_json(config: &Config) -> serde_json::Map<String, Value> {
    match serde_json::to_value(config) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// The secret keys, which serialize redacted and so are compared here by value.
fn secrets(c: &Config) -> [(&'static str, Option<&Secret>); 8] {
    let n = &c.notifications;
    [
        ("http.token", c.http.token.as_ref()),
        ("notifications.webhook_url", n.webhook_url.as_ref()),
        ("notifications.ntfy_url", n.ntfy_url.as_ref()),
        (
            "notifications.slack_webhook_url",
            n.slack_webhook_url.as_ref(),
        ),
        (
            "notifications.discord_webhook_url",
            n.discord_webhook_url.as_ref(),
        ),
        (
            "notifications.telegram_bot_token",
            n.telegram_bot_token.as_ref(),
        ),
        ("notifications.webhook_secret", n.webhook_secret.as_ref()),
        (
            "chat.slack_signing_secret",
            c.chat.slack_signing_secret.as_ref(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        crate::config::load_from_str(text, std::path::Path::new("t.toml"), &[]).unwrap()
    }

    #[test]
    fn names_each_changed_key_and_secrets_by_name_only() {
        let old =
            config("[resume]\nprompt = \"go\"\n[http]\ntoken = \"aaaaaaaaaaaaaaaaaaaaaaaa\"\n");
        let new = config(
            "[resume]\nprompt = \"go on\"\n[http]\ntoken = \"bbbbbbbbbbbbbbbbbbbbbbbb\"\n\
             [claude]\nbinary = \"/opt/claude\"\n",
        );
        assert_eq!(
            changed_keys(&old, &new),
            ["claude.binary", "http.token", "resume.prompt"]
        );
        assert!(changed_keys(&new, &new).is_empty());
    }
}

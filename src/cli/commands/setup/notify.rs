//! `setup`'s notification step: `--notify URL`, else a URL asked for on a terminal, written to the config with
//! `config set`'s editor; a channel already configured is kept.

use crate::cli::commands::config::write_private;
use crate::config::{self, Config};
use crate::paths::Paths;

use super::{Outcome, Run};

impl Run {
    /// A notification channel: `--notify URL`, else asked for on a terminal; a configured one is kept.
    pub(super) fn notify(
        &mut self,
        paths: &Paths,
        config: &Config,
        given: Option<&str>,
    ) -> anyhow::Result<()> {
        let file = Some(paths.config_file.clone());
        let configured: Vec<&str> = crate::notify::channels(config)
            .iter()
            .map(|c| c.name())
            .collect();
        let url = match given {
            Some(url) => url.trim().to_string(),
            None if !configured.is_empty() => {
                let d = format!("notifications go to {}", configured.join(", "));
                self.push("notify", None, file, Outcome::Already, d);
                return Ok(());
            }
            None => {
                let q = "Notification URL (an ntfy topic URL, or a webhook URL; empty to skip): ";
                match self.asker.text(q)? {
                    Some(url) if !url.is_empty() => url,
                    Some(_) => {
                        self.push(
                            "notify",
                            None,
                            file,
                            Outcome::Skipped,
                            "no URL given".into(),
                        );
                        return Ok(());
                    }
                    None => {
                        let d = "no channel configured; pass --notify URL".to_string();
                        self.push("notify", None, file, Outcome::Skipped, d);
                        return Ok(());
                    }
                }
            }
        };
        let key = notify_key(&url);
        let current = match key {
            "notifications.ntfy_url" => config.notifications.ntfy_url.as_ref(),
            _ => config.notifications.webhook_url.as_ref(),
        };
        if current.is_some_and(|c| c.expose() == url) {
            self.push(
                "notify",
                None,
                file,
                Outcome::Already,
                format!("{key} is set to it"),
            );
            return Ok(());
        }
        if self.dry_run {
            self.push(
                "notify",
                None,
                file,
                Outcome::WouldDo,
                format!("would set {key}"),
            );
            return Ok(());
        }
        let path = &paths.config_file;
        let text = std::fs::read_to_string(path).ok();
        match config::set_key(text.as_deref(), path, key, &url) {
            Ok(text) => {
                write_private(path, &text)?;
                // The URL may hold a token: it is not echoed.
                let d = format!("set {key} in {}", path.display());
                self.push("notify", None, file, Outcome::Done, d);
            }
            Err(e) => self.push("notify", None, file, Outcome::Failed, e.to_string()),
        }
        Ok(())
    }
}

/// The key a notification URL goes to: ntfy when its host says so, else a plain webhook.
fn notify_key(url: &str) -> &'static str {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    match host.contains("ntfy") {
        true => "notifications.ntfy_url",
        false => "notifications.webhook_url",
    }
}

//! Two-way chat control: people command the daemon from Telegram, Slack and Discord.
//!
//! Every platform does the same three things, in this order:
//! 1. prove the request is genuine: Slack's `v0` HMAC signature and Discord's Ed25519 signature (both with
//!    a five-minute replay window), or, for Telegram, the bot's own long poll of `getUpdates`;
//! 2. check the sender against the `[chat]` allowlist ([`Sender::allowed`]); a refusal is audited as
//!    `ChatRefused`;
//! 3. turn the text into a [`Command`] with the one parser ([`command::parse`]), hand its protocol
//!    [`Request`](crate::protocol::Request) to the engine exactly as the socket and HTTP API do, and render
//!    the [`crate::protocol::Response`] with the one renderer ([`render`]). Commands that change
//!    state are audited as `ChatCommand` with who sent them.

pub mod command;
pub mod discord;
pub mod render;
pub mod routes;
pub mod signature;
pub mod slack;
pub mod telegram;
mod throttle;

use std::path::PathBuf;

pub use command::Command;

use crate::audit::{AuditEvent, AuditQuery, AuditWriter, EventType};
use crate::engine::EngineHandle;
use crate::protocol::Response;

/// Audit events `logs` shows.
const LOG_LINES: usize = 10;

/// Who sent a chat request, as each platform names them.
#[derive(Clone, Debug, PartialEq)]
pub struct Sender {
    /// `telegram`, `slack` or `discord`.
    pub platform: &'static str,
    /// The user id.
    pub user: String,
    /// The chat (Telegram), team (Slack) or guild (Discord) id, when there is one.
    pub place: Option<String>,
    /// A display name, for people reading the audit trail.
    pub name: Option<String>,
}

impl Sender {
    /// Allowed when at least one list is set and every set list contains the sender.
    pub fn allowed(&self, users: &[String], places: &[String]) -> bool {
        if users.is_empty() && places.is_empty() {
            return false;
        }
        let user_ok = users.is_empty() || users.contains(&self.user);
        let place_ok = places.is_empty()
            || self
                .place
                .as_ref()
                .is_some_and(|p| places.iter().any(|a| a == p));
        user_ok && place_ok
    }

    fn audit_metadata(&self) -> serde_json::Value {
        serde_json::json!({
            "channel": self.platform,
            "user": self.user,
            "place": self.place,
            "name": self.name,
        })
    }
}

/// What chat surfaces share: the engine, the audit trail, and where to read recent events.
#[derive(Clone)]
pub struct ChatControl {
    engine: EngineHandle,
    audit: AuditWriter,
    /// What the engine records goes through here first (see [`crate::journal`]).
    trail: crate::journal::Journal,
    audit_file: PathBuf,
    refusals: std::sync::Arc<std::sync::Mutex<throttle::Throttle>>,
}

impl ChatControl {
    pub fn new(
        engine: EngineHandle,
        audit: AuditWriter,
        trail: crate::journal::Journal,
        audit_file: PathBuf,
    ) -> Self {
        ChatControl {
            engine,
            audit,
            trail,
            audit_file,
            refusals: Default::default(),
        }
    }

    /// Record a refused request (unknown sender, bad signature, stale timestamp); past
    /// thirty a minute they are counted and the count goes with the next one recorded. Returns once the
    /// refusal is in the trail, so that whoever is answered can read it there.
    pub async fn refuse(
        &self,
        platform: &str,
        reason: &str,
        sender: Option<&Sender>,
        text: Option<&str>,
    ) {
        let verdict = self
            .refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .judge(std::time::Instant::now());
        let throttle::Verdict::Record { suppressed } = verdict else {
            return;
        };
        self.record_now(Self::refusal(platform, reason, sender, text, suppressed))
            .await;
    }

    fn refusal(
        platform: &str,
        reason: &str,
        sender: Option<&Sender>,
        text: Option<&str>,
        suppressed: u64,
    ) -> AuditEvent {
        tracing::warn!(platform, reason, "chat request refused");
        let mut meta = sender.map_or_else(
            || serde_json::json!({ "channel": platform }),
            Sender::audit_metadata,
        );
        if let Some(t) = text {
            meta["text"] = serde_json::Value::String(t.chars().take(200).collect());
        }
        if suppressed > 0 {
            // Refusals beyond the per-minute cap were counted, not recorded one by one.
            meta["unrecorded_before"] = suppressed.into();
        }
        AuditEvent::new(EventType::ChatRefused)
            .action(platform)
            .outcome("refused")
            .reason(reason)
            .metadata(meta)
    }

    /// Record `event` and wait until it is written: a chat reply comes after what it reports is in the trail.
    /// What the engine recorded for the command comes first.
    async fn record_now(&self, event: AuditEvent) {
        self.trail.flush().await;
        self.audit.record(event);
        self.audit.flush().await;
    }

    /// Check the sender, then parse and carry out `text`; returns the reply for the chat.
    pub async fn handle(&self, sender: &Sender, allowed: bool, text: &str) -> String {
        if !allowed {
            self.refuse(sender.platform, "not_allowlisted", Some(sender), Some(text))
                .await;
            return "You are not allowed to command this palingenesis.".into();
        }
        match command::parse(text) {
            Ok(cmd) => self.execute(sender, cmd).await,
            Err(why) => why,
        }
    }

    async fn execute(&self, sender: &Sender, cmd: Command) -> String {
        let name = cmd.name();
        let session = cmd.session().map(str::to_string);
        let changes = cmd.changes_state();
        let reply = match cmd {
            Command::Help => return command::HELP.to_string(),
            Command::Logs { session } => return self.logs(session).await,
            Command::Request(req) => self.engine.request(req).await,
        };
        if changes {
            let mut rec = AuditEvent::new(EventType::ChatCommand)
                .action(name)
                .outcome(match &reply {
                    Response::Error(_) => "failed",
                    _ => "ok",
                })
                .message(render::response(&reply))
                .metadata(sender.audit_metadata());
            if let Some(s) = session {
                rec = rec.session(s);
            }
            self.record_now(rec).await;
        }
        render::response(&reply)
    }

    async fn logs(&self, session: Option<String>) -> String {
        let path = self.audit_file.clone();
        let query = AuditQuery {
            session,
            limit: Some(LOG_LINES),
            ..Default::default()
        };
        // The trail is a file: read it off the async workers.
        let found = crate::tasks::spawn_blocking(move || crate::audit::query(&path, &query)).await;
        match found {
            Ok(Ok(result)) => render::events(&result.events),
            Ok(Err(e)) => format!("error: cannot read the audit trail: {e}"),
            Err(_) => "error: cannot read the audit trail".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(user: &str, place: Option<&str>) -> Sender {
        Sender {
            platform: "slack",
            user: user.into(),
            place: place.map(String::from),
            name: None,
        }
    }

    #[test]
    fn allowlists_need_every_set_list_and_at_least_one() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(!sender("U1", Some("T1")).allowed(&[], &[]));
        assert!(sender("U1", Some("T1")).allowed(&s(&["U1"]), &[]));
        assert!(sender("U1", Some("T1")).allowed(&[], &s(&["T1"])));
        assert!(!sender("U2", Some("T1")).allowed(&s(&["U1"]), &s(&["T1"])));
        assert!(!sender("U1", None).allowed(&[], &s(&["T1"])));
        assert!(sender("U1", Some("T1")).allowed(&s(&["U1"]), &s(&["T1"])));
    }
}

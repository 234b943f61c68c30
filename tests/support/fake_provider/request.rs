//! What the fake provider records about each request, and how to read the prompt out of it.

use serde_json::Value;

/// Which wire protocol a model request used (decided by its path).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `POST /v1/messages` (Claude Code).
    AnthropicMessages,
    /// `POST /v1/chat/completions` (opencode through `@ai-sdk/openai-compatible`).
    ChatCompletions,
    /// `POST /v1/responses` (Codex CLI).
    Responses,
    /// `POST /v1beta/models/<model>:generateContent` or `:streamGenerateContent` (Gemini CLI).
    Gemini,
}

impl Protocol {
    /// The protocol a path (query string ignored) belongs to, if it is a model request.
    pub fn from_path(path: &str) -> Option<Protocol> {
        match path_only(path) {
            "/v1/messages" | "/messages" => Some(Protocol::AnthropicMessages),
            "/v1/chat/completions" | "/chat/completions" => Some(Protocol::ChatCompletions),
            "/v1/responses" | "/responses" => Some(Protocol::Responses),
            p if super::gemini::is_model_path(p) => Some(Protocol::Gemini),
            _ => None,
        }
    }
}

/// The path without its query string.
pub fn path_only(path: &str) -> &str {
    path.split_once('?').map_or(path, |(p, _)| p)
}

/// One request as the fake provider received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Arrival order, starting at 0.
    pub seq: usize,
    pub method: String,
    /// Path including the query string, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
    /// The raw body as text (lossy UTF-8).
    pub raw_body: String,
    /// Set for model requests (messages, chat completions, responses).
    pub protocol: Option<Protocol>,
    /// A short description of what the fake answered, for assertion messages.
    pub answered: String,
}

impl RecordedRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query string.
    pub fn path_only(&self) -> &str {
        path_only(&self.path)
    }

    /// Whether the request asked for a streamed answer (`"stream": true`, or Gemini's streaming method).
    pub fn wants_stream(&self) -> bool {
        self.body.get("stream").and_then(Value::as_bool) == Some(true)
            || (self.protocol == Some(Protocol::Gemini) && super::gemini::wants_stream(self))
    }

    /// The model the request named (in the body, or for Gemini in the path).
    pub fn model(&self) -> Option<&str> {
        if self.protocol == Some(Protocol::Gemini) {
            return Some(super::gemini::model(self));
        }
        self.body.get("model").and_then(Value::as_str)
    }

    /// The text of the last user message, per protocol: the last text block of the last
    /// `role: user` message, skipping blocks the clients inject around the prompt
    /// (`<system-reminder>`, `<environment_context>`, …). opencode sends its `run` prompt wrapped
    /// in double quotes; that is returned as sent.
    pub fn last_user_text(&self) -> Option<String> {
        match self.protocol? {
            Protocol::AnthropicMessages | Protocol::ChatCompletions => {
                let messages = self.body.get("messages")?.as_array()?;
                let user = messages
                    .iter()
                    .rev()
                    .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))?;
                content_text(user.get("content")?, &["text"])
            }
            Protocol::Responses => {
                let input = self.body.get("input")?;
                if let Some(text) = input.as_str() {
                    return Some(text.to_owned());
                }
                let user = input.as_array()?.iter().rev().find(|item| {
                    item.get("role").and_then(Value::as_str) == Some("user")
                        && content_text(
                            item.get("content").unwrap_or(&Value::Null),
                            &["input_text"],
                        )
                        .is_some()
                })?;
                content_text(user.get("content")?, &["input_text"])
            }
            Protocol::Gemini => super::gemini::last_user_text(&self.body),
        }
    }

    /// Whether the raw body contains `needle`.
    pub fn body_contains(&self, needle: &str) -> bool {
        self.raw_body.contains(needle)
    }
}

/// Prefixes of text blocks the clients add to user messages that are not the user's prompt.
const INJECTED_PREFIXES: &[&str] = &[
    "<system-reminder>",
    "<environment_context>",
    "<user_instructions>",
    "<permissions instructions>",
    "# AGENTS.md instructions",
];

fn content_text(content: &Value, block_types: &[&str]) -> Option<String> {
    if let Some(text) = content.as_str() {
        return Some(text.to_owned());
    }
    let texts: Vec<&str> = content
        .as_array()?
        .iter()
        .filter(|b| {
            b.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| block_types.contains(&t))
        })
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    texts
        .iter()
        .rev()
        .find(|t| {
            !INJECTED_PREFIXES
                .iter()
                .any(|p| t.trim_start().starts_with(p))
        })
        .or(texts.last())
        .map(|t| (*t).to_owned())
}

//! Qwen Code chats → observations: follows every `<projects>/<project>/chats/<session>.jsonl` incrementally
//! with [`crate::adapter::JsonlSessions`] and the pure parser in [`super::records`].

use std::path::Path;

use super::records::{chat_path_session_id, parse_chat_line};
use crate::sources::jsonl::JsonlFormat;

/// A Qwen Code chat file.
pub fn is_chat(path: &Path) -> bool {
    chat_path_session_id(path).is_some()
}

/// How its chats read.
pub const FORMAT: JsonlFormat = JsonlFormat {
    assistant: super::ASSISTANT,
    garbage_source: "qwen-chats",
    accept: is_chat,
    session_of: chat_path_session_id,
    parse: parse_chat_line,
    file_context: None,
};

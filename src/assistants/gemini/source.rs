//! Gemini CLI chats → observations: follows every `<tmp>/<project>/chats/session-….jsonl` incrementally with
//! [`crate::adapter::JsonlSessions`] and the pure parser in [`super::records`]. Its lines name neither their
//! session nor their work dir, so each file's are read once: the session from its header line, the work dir
//! from the project folder's `.project_root`.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::records::{header_session, is_chat_path, parse_chat_line, project_root};
use crate::sources::jsonl::{FileContext, JsonlFormat};

/// A Gemini CLI chat file.
pub fn is_chat(path: &Path) -> bool {
    is_chat_path(path)
}

/// The session of a chat file, from its header line (blocking: reads the first line).
pub fn chat_session(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut first = String::new();
    // A header is a few hundred bytes; never read more than a few KiB of a file that has none.
    BufReader::new(file)
        .take(16 * 1024)
        .read_line(&mut first)
        .ok()?;
    header_session(&first)
}

/// The session and work dir of a chat file (blocking).
pub fn chat_context(path: &Path) -> FileContext {
    let cwd = path
        .parent()
        .and_then(Path::parent)
        .and_then(|project| std::fs::read_to_string(project.join(".project_root")).ok())
        .and_then(|text| project_root(&text));
    FileContext {
        session: chat_session(path),
        cwd,
    }
}

fn no_session_in_path(_: &Path) -> Option<String> {
    None
}

/// How its chats read.
pub const FORMAT: JsonlFormat = JsonlFormat {
    assistant: super::ASSISTANT,
    garbage_source: "gemini-chats",
    accept: is_chat,
    session_of: no_session_in_path,
    parse: parse_chat_line,
    file_context: Some(chat_context),
};

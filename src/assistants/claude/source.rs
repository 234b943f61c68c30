//! Claude Code transcripts → observations: follows every `<projects>/<dir>/<session>.jsonl` incrementally with
//! [`crate::adapter::JsonlSessions`] and the pure parser in [`super::records`].

use std::path::Path;

use crate::assistants::claude::records::{parse_transcript_line, transcript_path_session_id};
use crate::sources::jsonl::JsonlFormat;

/// A Claude Code session transcript (not a subagent's, which live in a `subagents/` folder).
pub fn is_transcript(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
        && !path.components().any(|c| c.as_os_str() == "subagents")
        && transcript_path_session_id(path).is_some()
}

/// How its transcripts read.
pub const FORMAT: JsonlFormat = JsonlFormat {
    assistant: crate::assistants::claude::ASSISTANT,
    garbage_source: "claude-transcripts",
    accept: is_transcript,
    session_of: transcript_path_session_id,
    parse: parse_transcript_line,
    file_context: None,
};

//! Qwen Code: everything palingenesis knows about it, in one folder.
//!
//! - [`records`]: chat lines (`$QWEN_HOME/projects/<project>/chats/<session>.jsonl`) → signals.
//! - [`classify`]: how its failed requests read, and which of them it retries by itself.
//! - [`source`]: follows the chats.
//! - [`resume`]: `qwen -o json --resume <session> -p continue` in the session's directory.
//! - [`process`]: how its processes look.
//! - [`config`]: the `[qwen]` section.

pub mod classify;
pub mod config;
pub mod mcp;
pub mod process;
pub mod records;
pub mod resume;
pub mod source;

use std::path::Path;

use crate::adapter::{Adapter, RecordReader, SectionError, WireContext, Wiring};
use crate::classify::ClassifyContext;
use crate::formats::ParsedRecord;
use crate::model::Assistant;
use crate::procfs::AgentProcess;
use crate::protocol::WatchInfo;

pub const ASSISTANT: Assistant = Assistant::named("qwen");

/// The registry's entry for Qwen Code.
pub static ADAPTER: Qwen = Qwen;

pub struct Qwen;

impl Adapter for Qwen {
    fn mcp(&self) -> Option<&dyn crate::adapter::McpInstaller> {
        Some(&mcp::Mcp)
    }

    fn assistant(&self) -> Assistant {
        ASSISTANT
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["qwen-code", "qwen_code"]
    }

    /// Observed: it sets `QWEN_CODE_SESSION_ID` for the MCP servers it launches.
    fn mcp_session_env(&self) -> &'static [&'static str] {
        &["QWEN_CODE_SESSION_ID"]
    }

    fn env_prefixes(&self) -> &'static [&'static str] {
        &["QWEN_"]
    }

    fn process(&self) -> &dyn AgentProcess {
        &process::QwenProcess
    }

    fn record_reader(&self, ctx: ClassifyContext) -> Box<dyn RecordReader> {
        Box::new(ChatReader(ctx))
    }

    fn owns_transcript(&self, path: &Path) -> bool {
        source::is_chat(path)
    }

    fn transcript_session(&self, path: &Path) -> Option<String> {
        records::chat_path_session_id(path)
    }

    crate::adapter::config_section_methods!(config::Section, config::TEMPLATE, ASSISTANT.as_str());

    fn wire(&self, ctx: &WireContext<'_>) -> Result<Option<Wiring>, SectionError> {
        if ctx.listed == Some(false) {
            return Ok(None);
        }
        let section: config::Section = crate::adapter::parse_section(ctx.section)?;
        let root = config::projects_dir(&section);
        Ok(Some(Wiring {
            watching: vec![WatchInfo {
                assistant: ASSISTANT,
                source: "chats".into(),
                location: crate::paths::describe(&root),
            }],
            resumer: resume::QwenHeadless::new(&section, ctx.turn_timeout),
            sources: Box::new(crate::adapter::JsonlSessions {
                format: source::FORMAT,
                root,
                feed: ctx.feed,
            }),
        }))
    }
}

struct ChatReader(ClassifyContext);

impl RecordReader for ChatReader {
    fn read(&mut self, line: &str) -> Result<ParsedRecord, String> {
        records::parse_chat_line(line, self.0.tz).map_err(|e| e.to_string())
    }
}

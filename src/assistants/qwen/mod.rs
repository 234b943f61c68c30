//! Qwen Code: everything palingenesis knows about it, in one folder.
//!
//! - [`records`]: chat lines (`$QWEN_HOME/projects/<project>/chats/<session>.jsonl`) → signals.
//! - [`classify`]: how its failed requests read, and which of them it retries by itself.
//! - [`source`]: follows the chats.
//! - [`resume`]: `qwen -o json --resume <session> -p continue` in the session's directory.
//! - [`process`]: how its processes look.
//! - [`screen`]: how its interactive screen reads (its input, a running turn, its own retries).
//! - [`usage`]: its context use (`usageMetadata`, `contextWindowSize`).
//! - [`config`]: the `[qwen]` section.

pub mod classify;
pub mod config;
pub mod mcp;
pub mod process;
pub mod records;
pub mod resume;
pub mod screen;
pub mod source;
pub mod usage;

use std::path::Path;

use crate::adapter::{
    Adapter, JsonlSessions, LineReader, RecordReader, SectionError, WireContext, Wiring,
};
use crate::classify::ClassifyContext;
use crate::interactive::ScreenRules;
use crate::model::Assistant;
use crate::procfs::AgentProcess;

pub const ASSISTANT: Assistant = Assistant::named("qwen");

/// The client versions the test suite proves this adapter against: the pin in `tests/clients/package.json`
/// and the oldest observed (`docs/client-facts.md`).
pub const TESTED: crate::adapter::TestedRange = crate::adapter::TestedRange {
    package: "@qwen-code/qwen-code",
    oldest: "0.24.4",
    newest: "0.24.4",
};

/// The registry's entry for Qwen Code.
pub static ADAPTER: Qwen = Qwen;

pub struct Qwen;

impl Adapter for Qwen {
    fn tested_versions(&self) -> Option<crate::adapter::TestedRange> {
        Some(TESTED)
    }

    fn mcp(&self) -> Option<&dyn crate::adapter::McpInstaller> {
        Some(&mcp::MCP)
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

    fn screen(&self) -> Option<&dyn ScreenRules> {
        Some(&screen::RULES)
    }

    fn record_reader(&self, ctx: ClassifyContext) -> Box<dyn RecordReader> {
        Box::new(LineReader {
            format: source::FORMAT,
            tz: ctx.tz,
        })
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
        Ok(Some(JsonlSessions::wiring(
            source::FORMAT,
            config::projects_dir(&section),
            ctx.feed,
            "chats",
            resume::headless(&section, ctx.turn_timeout),
        )))
    }
}

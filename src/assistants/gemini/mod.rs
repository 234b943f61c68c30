//! Gemini CLI: everything palingenesis knows about it, in one folder.
//!
//! - [`records`]: chat lines (`$GEMINI_CLI_HOME/.gemini/tmp/<project>/chats/session-….jsonl`) → signals.
//! - [`classify`]: how its failures read, and which of them it retries by itself.
//! - [`source`]: follows the chats (their session from the header, their work dir from `.project_root`).
//! - [`resume`]: `gemini -o json --resume <session> -p continue` in the session's directory.
//! - [`process`]: how its processes look.
//! - [`config`]: the `[gemini]` section.

pub mod classify;
pub mod config;
pub mod mcp;
pub mod process;
pub mod records;
pub mod resume;
pub mod source;
pub mod usage;

use std::path::Path;

use crate::adapter::{
    Adapter, JsonlSessions, LineReader, RecordReader, SectionError, WireContext, Wiring,
};
use crate::classify::ClassifyContext;
use crate::model::Assistant;
use crate::procfs::AgentProcess;

pub const ASSISTANT: Assistant = Assistant::named("gemini");

/// The client versions the test suite proves this adapter against: the pin in `tests/clients/package.json`
/// and the oldest observed (`docs/client-facts.md`).
pub const TESTED: crate::adapter::TestedRange = crate::adapter::TestedRange {
    package: "@google/gemini-cli",
    oldest: "0.61.0",
    newest: "0.61.0",
};

/// The registry's entry for Gemini CLI.
pub static ADAPTER: Gemini = Gemini;

pub struct Gemini;

impl Adapter for Gemini {
    fn tested_versions(&self) -> Option<crate::adapter::TestedRange> {
        Some(TESTED)
    }

    fn assistant(&self) -> Assistant {
        ASSISTANT
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["gemini-cli", "gemini_cli"]
    }

    fn env_prefixes(&self) -> &'static [&'static str] {
        &["GEMINI_"]
    }

    fn process(&self) -> &dyn AgentProcess {
        &process::GeminiProcess
    }

    fn mcp(&self) -> Option<&dyn crate::adapter::McpInstaller> {
        Some(&mcp::MCP)
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
        source::chat_session(path)
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

//! Codex CLI: everything palingenesis knows about it, in one folder.
//!
//! - [`records`]: rollout lines (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`, with per-file state) and
//!   `codex exec --json` output → signals.
//! - [`classify`]: how its `codex_error_info` kinds and messages read.
//! - [`source`]: follows the rollouts, and notices a turn left open by a process that stopped writing.
//! - [`resume`]: `codex exec resume <thread> continue` (never `--last`).
//! - [`process`]: how its processes look.
//! - [`screen`]: how its interactive screen reads (its composer, a running turn, its limit menus).
//! - [`config`]: the `[codex]` section.

pub mod classify;
pub mod config;
pub mod mcp;
pub mod process;
pub mod records;
pub mod resume;
pub mod screen;
pub mod source;

use std::path::Path;

use crate::adapter::{Adapter, RecordReader, SectionError, WireContext, Wiring};
use crate::classify::ClassifyContext;
use crate::formats::ParsedRecord;
use crate::interactive::ScreenRules;
use crate::model::{Assistant, ContextStrategy};
use crate::procfs::AgentProcess;
use crate::protocol::WatchInfo;

pub const ASSISTANT: Assistant = Assistant::named("codex");

/// The client versions the test suite proves this adapter against: the pin in `tests/clients/package.json`
/// and the oldest observed (`docs/client-facts.md`).
pub const TESTED: crate::adapter::TestedRange = crate::adapter::TestedRange {
    package: "@openai/codex",
    oldest: "0.169.0",
    newest: "0.171.0",
};

/// The registry's entry for Codex CLI.
pub static ADAPTER: Codex = Codex;

pub struct Codex;

impl Adapter for Codex {
    fn tested_versions(&self) -> Option<crate::adapter::TestedRange> {
        Some(TESTED)
    }

    fn mcp(&self) -> Option<&dyn crate::adapter::McpInstaller> {
        Some(&mcp::Mcp)
    }

    fn assistant(&self) -> Assistant {
        ASSISTANT
    }

    fn env_prefixes(&self) -> &'static [&'static str] {
        &["CODEX_"]
    }

    fn process(&self) -> &dyn AgentProcess {
        &process::CodexProcess
    }

    fn screen(&self) -> Option<&dyn ScreenRules> {
        Some(&screen::RULES)
    }

    fn record_reader(&self, ctx: ClassifyContext) -> Box<dyn RecordReader> {
        Box::new(RolloutReader(records::CodexRolloutState::new(ctx.tz)))
    }

    fn owns_transcript(&self, path: &Path) -> bool {
        source::is_rollout(path)
    }

    /// Codex compacts the conversation itself when a session is resumed.
    fn default_context_strategy(&self, _default: ContextStrategy) -> ContextStrategy {
        ContextStrategy::SameSession
    }

    crate::adapter::config_section_methods!(config::Section, config::TEMPLATE, ASSISTANT.as_str());

    fn wire(&self, ctx: &WireContext<'_>) -> Result<Option<Wiring>, SectionError> {
        if ctx.listed == Some(false) {
            return Ok(None);
        }
        let section: config::Section = crate::adapter::parse_section(ctx.section)?;
        let root = config::codex_home(&section).join("sessions");
        Ok(Some(Wiring {
            watching: vec![WatchInfo {
                assistant: ASSISTANT,
                source: "rollouts".into(),
                location: crate::paths::describe(&root),
            }],
            resumer: resume::CodexHeadless::new(&section, ctx.turn_timeout),
            sources: Box::new(source::RolloutSource {
                root,
                feed: ctx.feed,
            }),
        }))
    }
}

struct RolloutReader(records::CodexRolloutState);

impl RecordReader for RolloutReader {
    fn read(&mut self, line: &str) -> Result<ParsedRecord, String> {
        self.0.feed(line).map_err(|e| e.to_string())
    }
}

//! opencode: everything palingenesis knows about it, in one folder.
//!
//! - [`records`]: assistant message JSON and `session.status` values → signals.
//! - [`classify`]: how its message errors (`APIError`, `ContextOverflowError`, …) read.
//! - [`source`]: a live server (supervised or the user's own) followed through its event stream, and its
//!   SQLite store watched for sessions run without a server.
//! - [`resume`]: `prompt_async` through the server's API, or `opencode run --session <id>`.
//! - [`process`]: how its processes look.
//! - [`screen`]: how its interactive screen reads (its prompt box and status line).
//! - [`config`]: the `[opencode]` section.

pub mod classify;
pub mod config;
pub mod mcp;
pub mod process;
pub mod records;
pub mod resume;
pub mod screen;
pub mod source;

use crate::adapter::{
    Adapter, RecordReader, Section, SectionError, SourceRun, Sources, WireContext, Wiring,
};
use crate::classify::ClassifyContext;
use crate::formats::ParsedRecord;
use crate::interactive::ScreenRules;
use crate::model::Assistant;
use crate::procfs::AgentProcess;

pub const ASSISTANT: Assistant = Assistant::named("opencode");

/// The client versions the test suite proves this adapter against: the pin in `tests/clients/package.json`
/// and the oldest observed (`docs/client-facts.md`).
pub const TESTED: crate::adapter::TestedRange = crate::adapter::TestedRange {
    package: "opencode-ai",
    oldest: "1.18.33",
    newest: "1.18.33",
};

/// The registry's entry for opencode.
pub static ADAPTER: Opencode = Opencode;

pub struct Opencode;

impl Adapter for Opencode {
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
        &["OPENCODE_"]
    }

    fn process(&self) -> &dyn AgentProcess {
        &process::OpencodeProcess
    }

    fn screen(&self) -> Option<&dyn ScreenRules> {
        Some(&screen::RULES)
    }

    fn record_reader(&self, ctx: ClassifyContext) -> Box<dyn RecordReader> {
        Box::new(MessageReader(ctx))
    }

    fn can_summarize(&self) -> bool {
        true
    }

    fn config_template(&self) -> &'static str {
        config::TEMPLATE
    }

    fn check_section(&self, text: &str) -> Result<(), toml::de::Error> {
        crate::adapter::check_in_file::<config::Section>(text, ASSISTANT.as_str())
    }

    fn check_table(&self, section: &Section) -> Result<(), SectionError> {
        let parsed = crate::adapter::parse_section::<config::Section>(section)?;
        config::check_bounds(&parsed).map_err(SectionError)
    }

    fn show_section(&self, section: &Section) -> Result<toml::Table, SectionError> {
        crate::adapter::render_section(&crate::adapter::parse_section::<config::Section>(section)?)
    }

    /// The resumer reaches the server the running source supervises (their shared `ServerLink`).
    fn resumer_rewires_alone(&self) -> bool {
        false
    }

    fn wire(&self, ctx: &WireContext<'_>) -> Result<Option<Wiring>, SectionError> {
        let section: config::Section = crate::adapter::parse_section(ctx.section)?;
        let Some(plan) = source::plan(&section, ctx.listed) else {
            return Ok(None);
        };
        Ok(Some(Wiring {
            watching: plan.watch_info(),
            resumer: resume::OpencodeResumer::new(&section, ctx.turn_timeout, plan.link.clone()),
            sources: Box::new(ServerAndStore {
                plan,
                freshness: ctx.feed.freshness,
            }),
        }))
    }
}

/// An opencode message (JSON) read on its own.
struct MessageReader(ClassifyContext);

impl RecordReader for MessageReader {
    fn read(&mut self, line: &str) -> Result<ParsedRecord, String> {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        Ok(ParsedRecord {
            signal: records::classify_message(&v, &self.0),
            ..ParsedRecord::default()
        })
    }
}

struct ServerAndStore {
    plan: source::OpencodePlan,
    freshness: std::time::Duration,
}

impl Sources for ServerAndStore {
    fn spawn(self: Box<Self>, run: SourceRun<'_>) -> Vec<tokio::sync::oneshot::Receiver<()>> {
        self.plan.spawn(self.freshness, run);
        Vec::new()
    }
}

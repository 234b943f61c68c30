//! Claude Code: everything palingenesis knows about it, in one folder.
//!
//! - [`records`]: transcript lines (`~/.claude/projects/<dir>/<session>.jsonl`) and hook payloads → signals.
//! - [`classify`]: how its structured errors (`error`, `apiErrorStatus`, `errorDetails`) read.
//! - [`source`]: follows the transcripts.
//! - [`hooks`]: installs `StopFailure`/`Stop`/`SessionEnd`/`SessionStart` hooks into its settings.
//! - [`resume`]: `claude -p --resume <id>` in the session's directory.
//! - [`native`]: its own auto-continue at usage limits (armed, fired, cancelled), which palingenesis defers to.
//! - [`screen`]: its interactive screen (input box, limit menu, retry countdowns).
//! - [`process`]: how its processes look.
//! - [`usage`]: its context use (`message.usage`) and the `Stop` hook answer that asks for a checkpoint.
//! - [`window`]: the context window each model runs with.
//! - [`config`]: the `[claude]` section.

pub mod classify;
pub mod config;
pub mod hooks;
pub mod mcp;
pub mod native;
pub mod process;
pub mod records;
pub mod resume;
pub mod screen;
pub mod source;
pub mod usage;
pub mod window;

use std::path::{Path, PathBuf};

use crate::adapter::{
    Adapter, BoxError, HookInstaller, RecordReader, SectionError, WireContext, Wiring,
};
use crate::classify::ClassifyContext;
use crate::formats::ParsedRecord;
use crate::interactive::ScreenRules;
use crate::model::Assistant;
use crate::procfs::AgentProcess;
use crate::protocol::WatchInfo;

pub const ASSISTANT: Assistant = Assistant::named("claude");

/// The client versions the test suite proves this adapter against: the pin in `tests/clients/package.json`
/// and the oldest observed (`docs/client-facts.md`).
pub const TESTED: crate::adapter::TestedRange = crate::adapter::TestedRange {
    package: "@anthropic-ai/claude-code",
    oldest: "2.1.197",
    newest: "2.1.332",
};

/// The registry's entry for Claude Code.
pub static ADAPTER: Claude = Claude;

pub struct Claude;

impl Adapter for Claude {
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
        &["claude-code", "claude_code"]
    }

    /// Observed: it sets `CLAUDE_CODE_SESSION_ID` for the MCP servers it launches.
    fn mcp_session_env(&self) -> &'static [&'static str] {
        &["CLAUDE_CODE_SESSION_ID"]
    }

    fn env_prefixes(&self) -> &'static [&'static str] {
        &["CLAUDE_", "DISABLE_"]
    }

    fn process(&self) -> &dyn AgentProcess {
        &process::ClaudeProcess
    }

    fn screen(&self) -> Option<&dyn ScreenRules> {
        Some(&screen::ClaudeScreen)
    }

    fn record_reader(&self, ctx: ClassifyContext) -> Box<dyn RecordReader> {
        Box::new(TranscriptReader(ctx))
    }

    fn owns_transcript(&self, path: &Path) -> bool {
        source::is_transcript(path)
    }

    fn transcript_session(&self, path: &Path) -> Option<String> {
        records::transcript_path_session_id(path)
    }

    fn parse_hook(
        &self,
        payload: &serde_json::Value,
        ctx: &ClassifyContext,
    ) -> Option<ParsedRecord> {
        Some(records::parse_hook_payload(payload, ctx))
    }

    fn hooks(&self) -> Option<&dyn HookInstaller> {
        Some(&Hooks)
    }

    /// Its `Stop` hook answers `decision: block` with the instruction as the reason.
    fn hook_continue(&self, instruction: &str) -> Option<String> {
        Some(usage::stop_hook_continue(instruction))
    }

    fn hook_context_use(&self, payload: &serde_json::Value) -> Option<crate::model::ContextUse> {
        (payload.get("hook_event_name").and_then(|e| e.as_str()) == Some("Stop"))
            .then(|| usage::from_hook_payload(payload))
            .flatten()
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
                source: "transcripts".into(),
                location: crate::paths::describe(&root),
            }],
            resumer: resume::ClaudeHeadless::new(&section, ctx.turn_timeout, root.clone()),
            sources: Box::new(crate::adapter::JsonlSessions {
                format: source::FORMAT,
                root,
                feed: ctx.feed,
            }),
        }))
    }
}

struct TranscriptReader(ClassifyContext);

impl RecordReader for TranscriptReader {
    fn read(&mut self, line: &str) -> Result<ParsedRecord, String> {
        records::parse_transcript_line(line, self.0.tz).map_err(|e| e.to_string())
    }
}

struct Hooks;

impl HookInstaller for Hooks {
    fn settings_path(&self) -> PathBuf {
        hooks::settings_path()
    }

    fn command_for(&self, exe: &Path) -> String {
        hooks::hook_command(exe)
    }

    fn install(&self, command: &str) -> Result<crate::adapter::HookChange, BoxError> {
        Ok(hooks::update_file(&hooks::settings_path(), |v| {
            hooks::with_hooks(v, command)
        })?)
    }

    fn uninstall(&self) -> Result<crate::adapter::HookChange, BoxError> {
        Ok(hooks::update_file(
            &hooks::settings_path(),
            hooks::without_hooks,
        )?)
    }

    fn installed(&self, command: &str) -> Result<crate::adapter::Installed, BoxError> {
        Ok(hooks::installed_in(&hooks::settings_path(), command)?)
    }
}

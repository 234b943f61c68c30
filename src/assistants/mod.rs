//! The assistants palingenesis knows, one folder each, and the registry that lists them: the only place outside
//! those folders that names an assistant. Adding one is a new folder and one line in [`all`] (see
//! CONTRIBUTING.md, "Adding an assistant").

pub mod claude;
pub mod codex;
pub mod gemini;
pub mod opencode;
pub mod qwen;

use crate::adapter::Adapter;
use crate::model::Assistant;

/// Every assistant palingenesis supports, in the order they are shown.
pub fn all() -> &'static [&'static dyn Adapter] {
    static ALL: [&dyn Adapter; 5] = [
        &claude::ADAPTER,
        &codex::ADAPTER,
        &opencode::ADAPTER,
        &qwen::ADAPTER,
        &gemini::ADAPTER,
    ];
    &ALL
}

/// The adapter of `assistant`, if palingenesis supports it.
pub fn get(assistant: Assistant) -> Option<&'static dyn Adapter> {
    all().iter().copied().find(|a| a.assistant() == assistant)
}

/// The adapter a user means by `name` (its name or an alias, any case).
pub fn find(name: &str) -> Option<&'static dyn Adapter> {
    let name = name.to_ascii_lowercase();
    all()
        .iter()
        .copied()
        .find(|a| a.assistant().as_str() == name || a.aliases().contains(&name.as_str()))
}

/// The names of every supported assistant.
pub fn names() -> Vec<&'static str> {
    all().iter().map(|a| a.assistant().as_str()).collect()
}

/// Parse an assistant a user named (command-line value parser).
pub fn parse(name: &str) -> Result<Assistant, String> {
    find(name).map(|a| a.assistant()).ok_or_else(|| {
        format!(
            "unknown assistant `{name}` (expected {})",
            names().join(", ")
        )
    })
}

/// Environment prefixes worth carrying to a resumed agent of `assistant`.
pub fn env_prefixes(assistant: Assistant) -> &'static [&'static str] {
    get(assistant).map_or(&[], |a| a.env_prefixes())
}

/// The assistant a command means when none is named (`palingenesis classify`).
pub const DEFAULT: &str = "claude";

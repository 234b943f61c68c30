//! Codex CLI's interactive screen (the TUI, verified on 0.171.0, `tests/fixtures/screens/codex/`): is a menu
//! open, is a turn running or reconnecting by itself, or is the composer idle and empty? Pure functions of the
//! screen's text; anything not recognised is [`ScreenState::Unknown`] and never typed into.
//!
//! The composer is the last line starting with `›`, followed by a blank line and a footer of at most three
//! lines (`GPT-5.5 default · <cwd>`, `? for shortcuts`). Its placeholder (`Ask Codex to do anything`) shows
//! while it is empty, also while a turn runs: a running turn is told by its status line above the composer
//! (`◦ Working (3s • esc to interrupt)`, `• Server is busy, reconnecting 1/3 (4s • esc to interrupt)`).
//!
//! Menus end the screen with their key hints (`enter select · esc back`), show their entries above them (the
//! chosen one marked `›`), and swallow typed text. The rate-limit menu
//! (`Approaching rate limits` / `Switch to <model> for lower credit usage?`, entries `Switch to <model>`,
//! `Keep current model`, `Keep current model (never show again)`, hint `esc back`) is closed with Esc, which
//! keeps the model. Every other menu is left to a person: some spend money or change the model ("Redeem
//! usage limit reset", "Request a limit increase", `Meet <model>` whose hint is `enter/esc confirm`).

use std::sync::LazyLock;

use regex::Regex;

use crate::interactive::{ScreenFns, ScreenState};

/// More non-blank lines than this below the composer mean something else has drawn there.
const MAX_FOOTER_LINES: usize = 3;
/// How far above the composer the status line of a running turn is looked for.
const STATUS_REACH: usize = 10;

/// How many lines above a menu's entries its question is read from.
const TITLE_REACH: usize = 5;

/// What the empty composer shows.
const PLACEHOLDERS: &[&str] = &["Ask Codex to do anything", "Ask a follow-up question"];

/// A menu's key hints, its last line: `enter select · esc back`, `enter/esc confirm · ^c quit`.
static HINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\benter(?:/esc)? (?:select|confirm)\b|\besc (?:back|cancel|close)\b")
        .expect("valid regex")
});

/// A menu entry's label: `› 1. Switch to gpt-6-luna   Fast and affordable…` → `Switch to gpt-6-luna`.
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:›\s*)?(?:\d+\.\s+)?(\S.*?)(?:\s{2,}\S.*)?$").expect("valid regex")
});

static RECONNECTING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\breconnecting\b.*\d+/\d+|\bretrying\b").expect("valid regex")
});

/// Codex CLI's screen rules.
pub static RULES: ScreenFns = ScreenFns { detect, input_text };

/// Read `screen` (the visible text, rows separated by newlines).
pub fn detect(screen: &str) -> ScreenState {
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    if let Some(menu) = Menu::find(&lines) {
        return menu.state();
    }
    let Some(composer) = Composer::find(&lines) else {
        return ScreenState::Unknown;
    };
    let above = &lines[composer.line.saturating_sub(STATUS_REACH)..composer.line];
    if let Some(status) = above
        .iter()
        .find(|l| l.to_ascii_lowercase().contains("esc to interrupt"))
    {
        return if RECONNECTING.is_match(status) {
            ScreenState::Retrying
        } else {
            ScreenState::Busy
        };
    }
    ScreenState::at_prompt(composer.text(&lines))
}

/// The text in the composer, if the screen shows one (empty when it shows its placeholder).
pub fn input_text(screen: &str) -> Option<String> {
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    if Menu::find(&lines).is_some() {
        return None;
    }
    Composer::find(&lines).map(|c| c.text(&lines))
}

/// An open menu: its entries (the labels without their descriptions) and whether Esc is offered as "back".
struct Menu {
    entries: Vec<String>,
    esc_goes_back: bool,
    title: String,
}

impl Menu {
    /// A menu is open when its key hints are the screen's last line; its entries are the block of lines
    /// above them.
    fn find(lines: &[&str]) -> Option<Menu> {
        let hint = lines.iter().rposition(|l| !l.trim().is_empty())?;
        if !HINT.is_match(lines[hint]) {
            return None;
        }
        let block_end = lines[..hint]
            .iter()
            .rposition(|l| !l.trim().is_empty())
            .map_or(0, |i| i + 1);
        let block_start = lines[..block_end]
            .iter()
            .rposition(|l| l.trim().is_empty())
            .map_or(0, |i| i + 1);
        let entries = lines[block_start..block_end]
            .iter()
            .filter_map(|l| ENTRY.captures(l))
            .map(|c| c[1].trim().to_string())
            .collect();
        // The question above the entries (a heading and a line or two of text).
        let title = lines[block_start.saturating_sub(TITLE_REACH)..block_start]
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Some(Menu {
            entries,
            esc_goes_back: lines[hint].contains("esc back"),
            title,
        })
    }

    fn state(&self) -> ScreenState {
        if self.is_model_switch_offer() {
            return ScreenState::LimitMenu;
        }
        ScreenState::NeedsHuman(format!(
            "Codex shows a menu palingenesis does not answer ({:?}: {}); choose in the terminal",
            self.title,
            self.entries.join(" / ")
        ))
    }

    /// The rate-limit menu offering a cheaper model, whose Esc keeps the current one.
    fn is_model_switch_offer(&self) -> bool {
        let known = |e: &String| {
            e.starts_with("Switch to ")
                || e == "Keep current model"
                || e == "Keep current model (never show again)"
        };
        self.esc_goes_back
            && self.entries.iter().any(|e| e == "Keep current model")
            && self.entries.iter().all(known)
    }
}

/// Where the composer is.
struct Composer {
    line: usize,
}

impl Composer {
    /// The last `›` line, with only a short footer below the text it holds.
    fn find(lines: &[&str]) -> Option<Composer> {
        let line = lines
            .iter()
            .rposition(|l| l.trim_start().starts_with('›'))?;
        let text_end = Self::text_end(lines, line);
        let footer = lines[text_end..]
            .iter()
            .filter(|l| !l.trim().is_empty())
            .count();
        (footer <= MAX_FOOTER_LINES).then_some(Composer { line })
    }

    /// The first blank line after the composer's text (or the end of the screen).
    fn text_end(lines: &[&str], line: usize) -> usize {
        lines[line + 1..]
            .iter()
            .position(|l| l.trim().is_empty())
            .map_or(lines.len(), |p| line + 1 + p)
    }

    /// The composer's text without the `›` marker, lines joined with a newline, trimmed; empty for a
    /// placeholder.
    fn text(&self, lines: &[&str]) -> String {
        let end = Self::text_end(lines, self.line);
        let mut parts = vec![lines[self.line].trim_start().trim_start_matches('›').trim()];
        parts.extend(lines[self.line + 1..end].iter().map(|l| l.trim()));
        let text = parts.join("\n").trim().to_string();
        if PLACEHOLDERS.contains(&text.as_str()) {
            String::new()
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests;

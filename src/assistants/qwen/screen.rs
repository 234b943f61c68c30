//! Qwen Code's interactive screen (the TUI, verified on 0.24.4, `tests/fixtures/screens/qwen/`): is a turn
//! running or retrying by itself, or is its input idle and empty? Pure functions of the screen's text; anything
//! not recognised is [`ScreenState::Unknown`] and never typed into.
//!
//! The input is a line starting with `>` between two rules of `─`, with a short footer below (`➜ <dir> ·
//! <model>`, `Auto mode (shift + tab to cycle)`). Empty, it shows `Type your message or @path/to/file`, also while
//! a turn runs, when typed text would steer the turn (`Enter to steer · Ctrl+Q to queue`): a running turn is its
//! spinner line above the input (`⠇ Charging the laser... (2s · esc to cancel)`), Qwen's own retries
//! `↻ Retrying in 52 seconds… (attempt 1/10)`. A quota stop leaves `✕ Quota exhausted: … (Press Ctrl+Y to retry)`
//! above an idle input; Qwen has no limit menu.

use std::sync::LazyLock;

use regex::Regex;

use crate::interactive::{ScreenFns, ScreenState};

/// A rule line of the input is at least this many `─`.
const MIN_RULE: usize = 20;
/// More non-blank lines than this below the input mean something else has drawn there.
const MAX_FOOTER_LINES: usize = 3;
/// How far above the input the spinner line is looked for.
const STATUS_REACH: usize = 4;
const PLACEHOLDER: &str = "Type your message or @path/to/file";

static RETRYING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bretrying in \d+\s*(?:s\b|sec|min)|\battempt \d+/\d+").expect("valid regex")
});

/// Qwen Code's screen rules.
pub static RULES: ScreenFns = ScreenFns { detect, input_text };

/// Read `screen` (the visible text, rows separated by newlines).
pub fn detect(screen: &str) -> ScreenState {
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    let Some(input) = Input::find(&lines) else {
        return ScreenState::Unknown;
    };
    let footer = lines[input.bottom + 1..]
        .iter()
        .filter(|l| !l.trim().is_empty())
        .count();
    if footer > MAX_FOOTER_LINES {
        return ScreenState::Unknown;
    }
    let above: Vec<&str> = lines[..input.top]
        .iter()
        .rev()
        .filter(|l| !l.trim().is_empty())
        .take(STATUS_REACH)
        .copied()
        .collect();
    if above.iter().any(|l| RETRYING.is_match(l)) {
        return ScreenState::Retrying;
    }
    if above.iter().any(|l| l.contains("esc to cancel")) {
        return ScreenState::Busy;
    }
    ScreenState::at_prompt(input.text(&lines))
}

/// The text in the input, if the screen shows one (empty when it shows its placeholder).
pub fn input_text(screen: &str) -> Option<String> {
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    Input::find(&lines).map(|i| i.text(&lines))
}

/// Where the input is: the last two rule lines, with a `>` line right below the upper one.
struct Input {
    top: usize,
    bottom: usize,
}

impl Input {
    fn find(lines: &[&str]) -> Option<Input> {
        let is_rule = |l: &str| {
            let t = l.trim();
            t.chars().count() >= MIN_RULE && t.chars().all(|c| c == '─')
        };
        let bottom = lines.iter().rposition(|l| is_rule(l))?;
        let top = lines[..bottom].iter().rposition(|l| is_rule(l))?;
        let first = lines.get(top + 1)?;
        (top + 1 < bottom && first.starts_with('>')).then_some(Input { top, bottom })
    }

    /// The input's text without the `>` marker and the cursor (a zero-width space), trimmed; empty for the
    /// placeholder.
    fn text(&self, lines: &[&str]) -> String {
        let text = lines[self.top + 1..self.bottom]
            .iter()
            .enumerate()
            .map(|(i, l)| if i == 0 { l.trim_start_matches('>') } else { l })
            .map(|l| l.replace('\u{200b}', "").trim().to_string())
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string();
        if text == PLACEHOLDER {
            String::new()
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> &'static str {
        match name {
            "idle-fresh" => include_str!("../../../tests/fixtures/screens/qwen/idle-fresh.txt"),
            "idle-after-quota" => {
                include_str!("../../../tests/fixtures/screens/qwen/idle-after-quota.txt")
            }
            "busy" => include_str!("../../../tests/fixtures/screens/qwen/busy.txt"),
            "draft" => include_str!("../../../tests/fixtures/screens/qwen/draft.txt"),
            "shell" => include_str!("../../../tests/fixtures/screens/shell-prompt.txt"),
            "editor" => include_str!("../../../tests/fixtures/screens/editor.txt"),
            "claude" => include_str!("../../../tests/fixtures/screens/claude-idle-fresh.txt"),
            other => panic!("no fixture {other}"),
        }
    }

    #[rstest::rstest]
    #[case::fresh_input("idle-fresh", ScreenState::Idle)]
    #[case::after_a_quota_stop("idle-after-quota", ScreenState::Idle)]
    #[case::turn_running("busy", ScreenState::Busy)]
    #[case::user_draft("draft", ScreenState::Draft("say hi".into()))]
    #[case::a_shell("shell", ScreenState::Unknown)]
    #[case::an_editor("editor", ScreenState::Unknown)]
    #[case::claudes_screen("claude", ScreenState::Unknown)]
    fn captured_qwen_screens(#[case] name: &str, #[case] expected: ScreenState) {
        assert_eq!(detect(fixture(name)), expected, "{name}");
    }

    #[test]
    fn its_own_retries_are_left_alone() {
        let screen = fixture("busy").replace(
            "⠇ Charging the laser... pew pew! (2s · esc to cancel)",
            "↻ Retrying in 52 seconds… (attempt 1/10)",
        );
        assert_eq!(detect(&screen), ScreenState::Retrying);
    }

    #[test]
    fn typed_text_shows_in_the_input_until_submitted() {
        assert_eq!(input_text(fixture("draft")).as_deref(), Some("say hi"));
        assert_eq!(input_text(fixture("idle-fresh")).as_deref(), Some(""));
        assert_eq!(input_text(fixture("busy")).as_deref(), Some(""));
    }
}

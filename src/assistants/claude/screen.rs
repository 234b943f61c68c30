//! Claude Code's interactive screen: is its limit menu open, is it still retrying by itself, is a turn running,
//! or is its prompt idle and empty? Pure functions of the screen's text (a tmux `capture-pane`, or the wrapper's
//! emulated screen), tested on captured screens (verified on 2.1.197, `tests/fixtures/screens/`). Anything not
//! recognised is [`ScreenState::Unknown`], and nothing is ever typed into an unknown screen.
//!
//! Claude's input box is a line starting with `❯` between two horizontal rules, followed by a short footer
//! (`? for shortcuts`, or `esc to interrupt` while a turn runs). History lines also start with `❯` but are not
//! framed by rules. A long prompt typed in one burst shows as a paste placeholder (`[Pasted text #1]`).

use std::sync::LazyLock;

use regex::Regex;

use crate::interactive::{ScreenRules, ScreenState, holds_typed_text};

/// A rule line of the input box is at least this many `─`.
const MIN_RULE: usize = 20;
/// More lines than this below the input box mean something else has drawn there.
const MAX_FOOTER_LINES: usize = 4;

static RETRYING: LazyLock<Regex> = LazyLock::new(|| {
    crate::classify::built_in(
        r"(?i)\bretrying in \d+\s*s\b|\battempt \d+/\d+\b|\b(?:continuing|resuming) in \d+\s*s\b|\bcontinuing (?:automatically at|shortly)\b.*\besc to cancel\b",
    )
});

/// What Claude shows in its input box for text that came in one burst and is long (over 800 characters, or
/// more than a few lines), as typed text does (verified on 2.1.332): `[Pasted text #1 +12 lines]`,
/// `[Pasted text #2]`, `[...Truncated text #3 +40 lines...]`.
static PASTE_PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    crate::classify::built_in(
        r"\[(?:Pasted text #\d+(?: \+\d+ lines)?|\.\.\.Truncated text #\d+ \+\d+ lines\.\.\.)\]",
    )
});

/// Claude Code's screen rules.
pub struct ClaudeScreen;

impl ScreenRules for ClaudeScreen {
    fn detect(&self, screen: &str) -> ScreenState {
        detect(screen)
    }

    fn input_text(&self, screen: &str) -> Option<String> {
        input_text(screen)
    }

    /// A paste placeholder in a box that was empty before the typing stands for (part of) the typed text.
    fn holds_typed(&self, boxed: &str, typed: &str) -> bool {
        if !PASTE_PLACEHOLDER.is_match(boxed) {
            return holds_typed_text(boxed, typed);
        }
        let rest = PASTE_PLACEHOLDER.replace_all(boxed, " ");
        rest.trim().is_empty() || holds_typed_text(&rest, typed)
    }
}

/// Read `screen` (the visible text, rows separated by newlines).
pub fn detect(screen: &str) -> ScreenState {
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    let Some(frame) = InputBox::find(&lines) else {
        return if limit_menu(&lines) {
            ScreenState::LimitMenu
        } else {
            ScreenState::Unknown
        };
    };
    let footer: Vec<&str> = lines[frame.bottom + 1..]
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if footer.len() > MAX_FOOTER_LINES {
        return ScreenState::Unknown;
    }
    let above = &lines[frame.top.saturating_sub(12)..frame.top];
    if above.iter().any(|l| RETRYING.is_match(l)) {
        return ScreenState::Retrying;
    }
    if footer
        .iter()
        .any(|l| l.to_ascii_lowercase().contains("esc to interrupt"))
    {
        return ScreenState::Busy;
    }
    match frame.text(&lines) {
        text if text.is_empty() => ScreenState::Idle,
        text => ScreenState::Draft(text),
    }
}

/// The text in the input box, if the screen shows one (empty when the box is empty).
pub fn input_text(screen: &str) -> Option<String> {
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    InputBox::find(&lines).map(|f| f.text(&lines))
}

/// The menu is open when its question and one of its entries are on screen.
fn limit_menu(lines: &[&str]) -> bool {
    let asks = lines.iter().any(|l| l.trim() == "What do you want to do?");
    let offers = lines
        .iter()
        .any(|l| l.contains("Stop and wait for limit to reset") || l.contains("Upgrade your plan"));
    asks && offers
}

/// Where the input box is: the last two rule lines, with a `❯` line right below the upper one.
struct InputBox {
    top: usize,
    bottom: usize,
}

impl InputBox {
    fn find(lines: &[&str]) -> Option<InputBox> {
        let is_rule = |l: &str| {
            let t = l.trim();
            t.chars().filter(|c| *c == '─').count() >= MIN_RULE
                && t.chars().all(|c| c == '─' || c.is_whitespace())
        };
        let bottom = lines.iter().rposition(|l| is_rule(l))?;
        let top = lines[..bottom].iter().rposition(|l| is_rule(l))?;
        let first = lines.get(top + 1)?;
        (top + 1 < bottom && first.trim_start().starts_with('❯'))
            .then_some(InputBox { top, bottom })
    }

    /// The box's text without the `❯` marker, lines joined with a newline, trimmed.
    fn text(&self, lines: &[&str]) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for (i, line) in lines[self.top + 1..self.bottom].iter().enumerate() {
            let line = if i == 0 {
                line.trim_start().trim_start_matches('❯')
            } else {
                line
            };
            parts.push(line.trim_matches(|c: char| c.is_whitespace()));
        }
        parts.join("\n").trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> &'static str {
        match name {
            "idle-fresh" => include_str!("../../../tests/fixtures/screens/claude-idle-fresh.txt"),
            "idle-after-limit" => {
                include_str!("../../../tests/fixtures/screens/claude-idle-after-limit.txt")
            }
            "idle-after-error" => {
                include_str!("../../../tests/fixtures/screens/claude-idle-after-error.txt")
            }
            "idle-after-retry" => {
                include_str!("../../../tests/fixtures/screens/claude-idle-after-retry.txt")
            }
            "limit-menu" => include_str!("../../../tests/fixtures/screens/claude-limit-menu.txt"),
            "busy" => include_str!("../../../tests/fixtures/screens/claude-busy.txt"),
            "retrying" => include_str!("../../../tests/fixtures/screens/claude-retrying.txt"),
            "draft" => include_str!("../../../tests/fixtures/screens/claude-draft.txt"),
            "shell" => include_str!("../../../tests/fixtures/screens/shell-prompt.txt"),
            "editor" => include_str!("../../../tests/fixtures/screens/editor.txt"),
            other => panic!("no fixture {other}"),
        }
    }

    #[rstest::rstest]
    #[case::fresh_prompt("idle-fresh", ScreenState::Idle)]
    #[case::menu_dismissed("idle-after-limit", ScreenState::Idle)]
    #[case::after_an_api_error("idle-after-error", ScreenState::Idle)]
    #[case::retries_over("idle-after-retry", ScreenState::Idle)]
    #[case::limit_menu_open("limit-menu", ScreenState::LimitMenu)]
    #[case::turn_running("busy", ScreenState::Busy)]
    #[case::still_retrying("retrying", ScreenState::Retrying)]
    #[case::user_draft("draft", ScreenState::Draft("say hi".into()))]
    #[case::a_shell("shell", ScreenState::Unknown)]
    #[case::an_editor("editor", ScreenState::Unknown)]
    fn captured_claude_screens(#[case] name: &str, #[case] expected: ScreenState) {
        assert_eq!(detect(fixture(name)), expected, "{name}");
    }

    #[test]
    fn a_shell_below_an_old_claude_frame_is_not_claude() {
        let mut screen = fixture("idle-fresh").trim_end().to_string();
        for i in 0..5 {
            screen.push_str(&format!("\nuser@host:~/work$ echo {i}\n{i}"));
        }
        assert_eq!(detect(&screen), ScreenState::Unknown);
    }

    #[test]
    fn typed_text_shows_in_the_input_box_until_submitted() {
        assert_eq!(input_text(fixture("draft")).as_deref(), Some("say hi"));
        assert_eq!(input_text(fixture("idle-fresh")).as_deref(), Some(""));
        assert_eq!(input_text(fixture("limit-menu")), None);
        let multi =
            fixture("idle-fresh").replacen("❯\u{a0}", "❯\u{a0}first line\n  second line", 1);
        assert_eq!(
            detect(&multi),
            ScreenState::Draft("first line\nsecond line".into())
        );
    }

    #[test]
    fn a_paste_placeholder_stands_for_the_typed_text() {
        let typed = "step 1 is done; step 2 is done; step 3 is next";
        for boxed in [
            "[Pasted text #1]",
            "[Pasted text #2 +12 lines]",
            "[...Truncated text #3 +40 lines...]",
            "step 1 is done; [Pasted text #1 +3 lines]",
        ] {
            assert!(ClaudeScreen.holds_typed(boxed, typed), "{boxed}");
        }
        assert!(ClaudeScreen.holds_typed("step 2 is\n  done;", typed));
        assert!(!ClaudeScreen.holds_typed("", typed));
        assert!(!ClaudeScreen.holds_typed("[Pasted text]", typed));
        assert!(!ClaudeScreen.holds_typed("a user's words [Pasted text #1]", typed));
    }

    #[test]
    fn retry_countdowns_are_recognised_in_their_forms() {
        for line in [
            "✻ API error · Retrying in 4s · attempt 1/3",
            "Session limit reached · Retrying in 4s (12:28am) · attempt 1/3",
            "Continuing in 30s",
            "Continuing automatically at 4:31pm · Esc to cancel",
            "Continuing shortly · Esc to cancel",
        ] {
            assert!(RETRYING.is_match(line), "{line}");
        }
        assert!(!RETRYING.is_match("You've hit your session limit · resets 2:05am (UTC)"));
    }
}

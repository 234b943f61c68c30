//! opencode's interactive screen (the TUI, verified on 1.18.33, `tests/fixtures/screens/opencode/`): is a turn
//! running or retrying by itself, or is the prompt box idle and empty? Pure functions of the screen's text;
//! anything not recognised is [`ScreenState::Unknown`] and never typed into.
//!
//! The prompt box is a run of lines starting with `┃` closed by a `╹▀▀▀…` line; its last line names the agent
//! and model (`Build · Fake model Fake provider`; `Shell` in shell mode, where typed text would run as a
//! command). One status line follows the box: `esc interrupt` while a turn runs, with `[retrying in 2s attempt
//! #1]` while opencode retries by itself (also for the whole wait of a usage limit that sent a Retry-After).
//! A new session's box shows a placeholder (`Ask anything… "Fix a TODO in the codebase"`). opencode has no
//! limit menu: once its retries are spent the error stays in the history and the box is idle.

use std::sync::LazyLock;

use regex::Regex;

use crate::interactive::{ScreenFns, ScreenState};

/// The box's closing line is at least this many `▀`.
const MIN_RULE: usize = 20;
/// More non-blank lines than this below the box mean something else has drawn there.
const MAX_FOOTER_LINES: usize = 2;

static RETRYING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bretrying in\b|\battempt #\d+").expect("valid regex"));

/// opencode's screen rules.
pub static RULES: ScreenFns = ScreenFns { detect, input_text };

/// Read `screen` (the visible text, rows separated by newlines).
pub fn detect(screen: &str) -> ScreenState {
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    let Some(frame) = PromptBox::find(&lines) else {
        return ScreenState::Unknown;
    };
    let footer: Vec<&str> = lines[frame.bottom + 1..]
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if footer.len() > MAX_FOOTER_LINES || !frame.names_a_model(&lines) {
        return ScreenState::Unknown;
    }
    if let Some(status) = footer.iter().find(|l| l.contains("esc interrupt")) {
        return if RETRYING.is_match(status) {
            ScreenState::Retrying
        } else {
            ScreenState::Busy
        };
    }
    ScreenState::at_prompt(frame.text(&lines))
}

/// The text in the prompt box, if the screen shows one (empty when the box is empty).
pub fn input_text(screen: &str) -> Option<String> {
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    PromptBox::find(&lines).map(|f| f.text(&lines))
}

/// Where the prompt box is: the `┃` lines right above the last `╹▀▀▀` line.
struct PromptBox {
    top: usize,
    bottom: usize,
}

impl PromptBox {
    fn find(lines: &[&str]) -> Option<PromptBox> {
        let is_rule = |l: &str| {
            let t = l.trim();
            t.starts_with('╹')
                && t.chars().filter(|c| *c == '▀').count() >= MIN_RULE
                && t.chars().skip(1).all(|c| c == '▀')
        };
        let bottom = lines.iter().rposition(|l| is_rule(l))?;
        let top = lines[..bottom]
            .iter()
            .rposition(|l| !l.trim_start().starts_with('┃'))
            .map_or(0, |i| i + 1);
        (bottom >= top + 2).then_some(PromptBox { top, bottom })
    }

    fn inner(line: &str) -> &str {
        line.trim_start().trim_start_matches('┃').trim()
    }

    /// The box's last line names the agent and the model (`Build · Fake model …`), not shell mode.
    fn names_a_model(&self, lines: &[&str]) -> bool {
        Self::inner(lines[self.bottom - 1]).contains(" · ")
    }

    /// The box's text (every line but the agent line), trimmed; empty for the placeholder.
    fn text(&self, lines: &[&str]) -> String {
        let text = lines[self.top..self.bottom - 1]
            .iter()
            .map(|l| Self::inner(l))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string();
        let placeholder = ["Ask anything… \"", "Ask anything... \""]
            .iter()
            .any(|p| text.starts_with(p))
            && text.ends_with('"')
            && !text.contains('\n');
        if placeholder { String::new() } else { text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> &'static str {
        match name {
            "idle-fresh" => include_str!("../../../tests/fixtures/screens/opencode/idle-fresh.txt"),
            "idle-after-error" => {
                include_str!("../../../tests/fixtures/screens/opencode/idle-after-error.txt")
            }
            "idle-after-answer" => {
                include_str!("../../../tests/fixtures/screens/opencode/idle-after-answer.txt")
            }
            "busy" => include_str!("../../../tests/fixtures/screens/opencode/busy.txt"),
            "retrying" => include_str!("../../../tests/fixtures/screens/opencode/retrying.txt"),
            "draft" => include_str!("../../../tests/fixtures/screens/opencode/draft.txt"),
            "shell-mode" => include_str!("../../../tests/fixtures/screens/opencode/shell-mode.txt"),
            "shell" => include_str!("../../../tests/fixtures/screens/shell-prompt.txt"),
            "editor" => include_str!("../../../tests/fixtures/screens/editor.txt"),
            "codex" => include_str!("../../../tests/fixtures/screens/codex/idle-fresh.txt"),
            other => panic!("no fixture {other}"),
        }
    }

    #[rstest::rstest]
    #[case::fresh_prompt("idle-fresh", ScreenState::Idle)]
    #[case::after_its_retries_gave_up("idle-after-error", ScreenState::Idle)]
    #[case::after_an_answer("idle-after-answer", ScreenState::Idle)]
    #[case::turn_running("busy", ScreenState::Busy)]
    #[case::retrying_by_itself("retrying", ScreenState::Retrying)]
    #[case::user_draft("draft", ScreenState::Draft("say hi".into()))]
    #[case::shell_mode("shell-mode", ScreenState::Unknown)]
    #[case::a_shell("shell", ScreenState::Unknown)]
    #[case::an_editor("editor", ScreenState::Unknown)]
    #[case::codexs_screen("codex", ScreenState::Unknown)]
    fn captured_opencode_screens(#[case] name: &str, #[case] expected: ScreenState) {
        assert_eq!(detect(fixture(name)), expected, "{name}");
    }

    #[test]
    fn a_usage_limit_wait_is_opencode_retrying() {
        let screen = fixture("retrying").replace(
            "[retrying in 1s attempt #1]",
            "[retrying in 58m 12s attempt #1]",
        );
        assert_eq!(detect(&screen), ScreenState::Retrying);
    }

    #[test]
    fn typed_text_shows_in_the_box_until_submitted() {
        assert_eq!(input_text(fixture("draft")).as_deref(), Some("say hi"));
        assert_eq!(input_text(fixture("idle-fresh")).as_deref(), Some(""));
        assert_eq!(input_text(fixture("idle-after-error")).as_deref(), Some(""));
        let multi = fixture("draft").replace("┃  say hi", "┃  first line\n  ┃  second line");
        assert_eq!(
            detect(&multi),
            ScreenState::Draft("first line\nsecond line".into())
        );
    }

    #[test]
    fn a_shell_below_an_old_opencode_screen_is_not_opencode() {
        let mut screen = fixture("idle-after-answer").trim_end().to_string();
        for i in 0..5 {
            screen.push_str(&format!("\nuser@host:~/work$ echo {i}\n{i}"));
        }
        assert_eq!(detect(&screen), ScreenState::Unknown);
    }
}

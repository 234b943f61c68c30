//! Whether to colour, and the palette. Colour only goes to a terminal unless forced: `--color` wins, then
//! `NO_COLOR` (any non-empty value turns it off), then `CLICOLOR_FORCE` (on even into a pipe), then
//! `CLICOLOR=0` and `TERM=dumb` (off), then whether stdout is a terminal. `--json` output is never coloured.

use anstyle::{AnsiColor, Style};

use crate::protocol::SessionStateView;

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// Colour on a terminal, following NO_COLOR, CLICOLOR_FORCE, CLICOLOR and TERM.
    #[default]
    Auto,
    /// Always colour, even into a pipe or file.
    Always,
    /// Never colour.
    Never,
}

/// Whether to colour, given the flag, the environment (`env(name)`) and whether stdout is a terminal.
pub fn enabled(when: ColorWhen, env: impl Fn(&str) -> Option<String>, stdout_is_tty: bool) -> bool {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto if set("NO_COLOR") => false,
        ColorWhen::Auto
            if set("CLICOLOR_FORCE") && env("CLICOLOR_FORCE").as_deref() != Some("0") =>
        {
            true
        }
        ColorWhen::Auto => {
            env("CLICOLOR").as_deref() != Some("0")
                && env("TERM").as_deref() != Some("dumb")
                && stdout_is_tty
        }
    }
}

/// Paints text with a style, or leaves it plain when colour is off.
#[derive(Clone, Copy, Debug, Default)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.on && style != Style::new() {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

const fn fg(c: AnsiColor) -> Style {
    Style::new().fg_color(Some(anstyle::Color::Ansi(c)))
}

pub const HEADER: Style = Style::new().bold();
pub const COUNTDOWN: Style = fg(AnsiColor::Cyan);
pub const GOOD: Style = fg(AnsiColor::Green);
pub const WAITING: Style = fg(AnsiColor::Yellow);
pub const ACTIVE: Style = fg(AnsiColor::Cyan).bold();
pub const ATTENTION: Style = fg(AnsiColor::Red).bold();
pub const BAD: Style = fg(AnsiColor::Red);
pub const PAUSED: Style = fg(AnsiColor::Magenta).bold();
pub const QUIET: Style = Style::new().dimmed();

/// The colour of a session's state.
pub fn state(s: SessionStateView) -> Style {
    match s {
        SessionStateView::Running => GOOD,
        SessionStateView::Waiting | SessionStateView::SelfContinuing => WAITING,
        SessionStateView::Resuming => ACTIVE,
        SessionStateView::Failed => BAD,
        SessionStateView::Stopped | SessionStateView::Done | SessionStateView::HandedOff => QUIET,
    }
}

/// The colour of how a session would be reached (`needs_attention` stands out).
pub fn reach(r: &str) -> Style {
    if r == "needs_attention" {
        ATTENTION
    } else {
        Style::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(when: ColorWhen, vars: &[(&str, &str)], tty: bool) -> bool {
        let env = |k: &str| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        };
        enabled(when, env, tty)
    }

    #[test]
    fn the_flag_wins_then_no_color_then_clicolor_force_then_the_terminal() {
        use ColorWhen::*;
        assert!(decide(Auto, &[], true));
        assert!(!decide(Auto, &[], false));
        assert!(!decide(Auto, &[("NO_COLOR", "1")], true));
        assert!(
            decide(Auto, &[("NO_COLOR", "")], true),
            "empty NO_COLOR is unset"
        );
        assert!(decide(Auto, &[("CLICOLOR_FORCE", "1")], false));
        assert!(!decide(Auto, &[("CLICOLOR_FORCE", "0")], false));
        assert!(!decide(
            Auto,
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
            true
        ));
        assert!(!decide(Auto, &[("CLICOLOR", "0")], true));
        assert!(!decide(Auto, &[("TERM", "dumb")], true));
        assert!(decide(Always, &[("NO_COLOR", "1")], false));
        assert!(!decide(Never, &[("CLICOLOR_FORCE", "1")], true));
    }

    #[test]
    fn plain_paint_adds_nothing() {
        assert_eq!(Paint { on: false }.paint(BAD, "failed"), "failed");
        assert_eq!(
            Paint { on: true }.paint(BAD, "failed"),
            "\x1b[31mfailed\x1b[0m"
        );
    }
}

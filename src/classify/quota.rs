//! How much of a usage window is spent, read from the warnings assistants print before a limit stops them:
//! "You've used 90% of your weekly limit · resets Dec 3, 9am", "You've used 75% of your 5-hour limit · resets
//! 3pm", "Over 90% of your session limit used", "you have less than 10% of your 5h limit left". A warning without a
//! percentage ("Approaching usage limit · resets at 3pm") says too little to act on. These lines are never a
//! stop ([`super::classify_text`] leaves them alone); this only reads their numbers.

use std::sync::LazyLock;

use regex::Regex;

use super::ClassifyContext;
use super::text::re;
use crate::model::{QuotaUse, UsageWindow};

/// "… used [over] N% of your … limit" or "Over N% of your … limit used".
static USED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\byou(?:['’]ve| have) used (?:over |more than )?|^\W*over )(\d{1,3}(?:\.\d+)?)\s*% of (?:your |the )?(?:current )?[\w. -]{0,40}?\blimit\b",
    )
});

/// "… less than N% of your … limit left" (what is left, not what is used).
static LEFT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\byou have less than (\d{1,3}(?:\.\d+)?)\s*% of (?:your |the )?[\w. -]{0,40}?\blimit left\b",
    )
});

/// The quota use a warning line states: its percentage, the window it names (else unknown) and the reset
/// it announces, if any (read as [`super::parse_reset`] does). `None` for any other text.
pub fn quota_warning(text: &str, ctx: &ClassifyContext) -> Option<QuotaUse> {
    let norm = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let number = |r: &Regex| r.captures(&norm)?[1].parse::<f64>().ok();
    let percent = number(&USED).or_else(|| Some(100.0 - number(&LEFT)?))?;
    let window = super::named_window(&norm).unwrap_or(UsageWindow::Unknown);
    let resets_at = super::parse_reset(&norm, ctx).map(|(at, _)| at);
    QuotaUse::reported(percent, window, resets_at)
}

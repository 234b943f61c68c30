//! How much of a usage quota a session's account has spent, as the assistant itself recorded it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::UsageWindow;

/// The share of one usage window spent, from the assistant's own records: Codex's `token_count` events carry
/// `rate_limits.primary|secondary.used_percent` (what its provider's headers said), and some assistants relay
/// a warning ("You've used 90% of your weekly limit · resets Dec 3, 9am"). The early checkpoint
/// (`[checkpoint] quota_percent`) follows it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaUse {
    /// Percent of the window used, 0 to 100.
    pub percent: u8,
    /// Which window: the session (5-hour) one, the weekly one, or unknown.
    pub window: UsageWindow,
    /// When the window resets, if the record says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<DateTime<Utc>>,
}

impl QuotaUse {
    /// What a record reported: the percent rounded down and capped at 100; `None` when it is not a number
    /// or below 0.
    pub fn reported(
        percent: f64,
        window: UsageWindow,
        resets_at: Option<DateTime<Utc>>,
    ) -> Option<QuotaUse> {
        if !percent.is_finite() || percent < 0.0 {
            return None;
        }
        Some(QuotaUse {
            percent: percent.min(100.0).floor() as u8,
            window,
            resets_at,
        })
    }
}

impl UsageWindow {
    /// The window a provider's length in minutes stands for: up to a day is the session window, 6 to 8 days
    /// the weekly one.
    pub fn of_minutes(minutes: u64) -> UsageWindow {
        match minutes {
            1..=1440 => UsageWindow::Session,
            8640..=11520 => UsageWindow::Weekly,
            _ => UsageWindow::Unknown,
        }
    }

    /// The short name of the window, as a person says it ("session", "weekly").
    pub fn label(self) -> &'static str {
        match self {
            UsageWindow::Session => "session",
            UsageWindow::Weekly => "weekly",
            UsageWindow::ExtraUsage => "extra usage",
            UsageWindow::Unknown => "usage",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(92.0, Some(92))]
    #[case(89.99, Some(89))]
    #[case(0.0, Some(0))]
    #[case(140.0, Some(100))]
    #[case(-1.0, None)]
    #[case(f64::NAN, None)]
    fn a_reported_percent_is_rounded_down_and_capped(#[case] pct: f64, #[case] want: Option<u8>) {
        assert_eq!(
            QuotaUse::reported(pct, UsageWindow::Session, None).map(|q| q.percent),
            want
        );
    }

    #[rstest]
    #[case(300, UsageWindow::Session)]
    #[case(1440, UsageWindow::Session)]
    #[case(10080, UsageWindow::Weekly)]
    #[case(43200, UsageWindow::Unknown)]
    #[case(0, UsageWindow::Unknown)]
    fn window_lengths_name_their_window(#[case] minutes: u64, #[case] want: UsageWindow) {
        assert_eq!(UsageWindow::of_minutes(minutes), want);
    }
}

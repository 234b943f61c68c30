//! Quota warnings: their percentage, window and reset, and that they stay not-a-stop.

use rstest::rstest;

use super::{at, ctx};
use crate::classify::{classify_text, quota_warning};
use crate::model::UsageWindow::{self, *};

#[rstest]
// Claude Code's wording (2.1.332 shows it for a few seconds in its footer, from the unified rate-limit headers;
// observed: "You've used 92% of your 5-hour limit · resets 5:21am (UTC)"). It records it nowhere.
#[case::weekly_dated("You've used 90% of your weekly limit · resets Nov 29, 9am", Some((90, Weekly, Some("2025-11-29T09:00:00Z"))))]
#[case::session("You've used 98% of your session limit · resets 3am", Some((98, Session, Some("2025-11-24T03:00:00Z"))))]
// A reset the window cannot have (a session window 15 hours away) is dropped, the use kept.
#[case::implausible_reset("You've used 98% of your session limit · resets 3pm", Some((98, Session, None)))]
#[case::five_hour("You've used 75% of your 5-hour limit · resets 4:30am (UTC)", Some((75, Session, Some("2025-11-24T04:30:00Z"))))]
#[case::opus_is_weekly("You've used 91% of your Opus limit · resets Nov 27, 12:40am", Some((91, Weekly, Some("2025-11-27T00:40:00Z"))))]
#[case::over("Over 90% of your weekly limit used · resets Nov 27, 12:40am", Some((90, Weekly, Some("2025-11-27T00:40:00Z"))))]
#[case::decorated("⚠ Over 95% of your session limit used", Some((95, Session, None)))]
#[case::no_reset("You've used 92% of your weekly limit", Some((92, Weekly, None)))]
#[case::wrapped("You've used 92% of your\n   weekly limit · resets\n Nov 29, 9am", Some((92, Weekly, Some("2025-11-29T09:00:00Z"))))]
#[case::unnamed_window("You have used 93.5% of your usage limit", Some((93, Unknown, None)))]
// Codex's terminal warning (0.171.0; the footer then reads "⚠ 5h limit: 8% left · resets at 05:20").
#[case::codex_left("⚠ Heads up, you have less than 10% of your 5h limit left. Run /status for a breakdown.", Some((90, Session, None)))]
#[case::used_over("Heads up, you've used over 90% of your 5h limit. Run /status for a breakdown.", Some((90, Session, None)))]
// Not a quota warning, or not one with a number.
#[case::approaching("Approaching usage limit · resets at 3pm", None)]
#[case::hit("You've hit your session limit · resets 3pm", None)]
#[case::prose("We used 90% of the budget on tests", None)]
#[case::mid_sentence_over("the build went over 90% of its limit", None)]
fn a_warning_states_its_quota_use(
    #[case] text: &str,
    #[case] want: Option<(u8, UsageWindow, Option<&str>)>,
) {
    let got = quota_warning(text, &ctx()).map(|q| (q.percent, q.window, q.resets_at));
    assert_eq!(got, want.map(|(p, w, r)| (p, w, r.map(at))), "{text}");
}

#[rstest]
#[case("You've used 90% of your weekly limit · resets Nov 29, 9am")]
#[case("Over 90% of your weekly limit used · resets Nov 27, 12:40am")]
#[case("Approaching usage limit · resets at 3pm")]
fn a_warning_is_still_not_a_stop(#[case] text: &str) {
    assert_eq!(classify_text(text, &ctx()), None, "{text}");
}

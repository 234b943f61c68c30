//! Reset-time parsing against the forms the assistants really print.

use crate::tz::Tz;
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use rstest::rstest;

use super::at;
use super::*;
use crate::model::UsageWindow::{self, *};

fn ctx(now: &str, tz: &str) -> ClassifyContext {
    ClassifyContext::new(at(now), tz.parse::<Tz>().expect("test zone"))
}

#[rstest]
// Claude Code, subscription limits.
#[case::session_utc("You've hit your session limit · resets 12:57am (UTC)", "2025-11-24T00:12:00Z", "UTC", Some(("2025-11-24T00:57:00Z", Session)))]
#[case::session_bare_hour("You've hit your session limit · resets 3pm", "2025-11-24T11:00:00Z", "UTC", Some(("2025-11-24T15:00:00Z", Session)))]
#[case::session_tz_from_process("You've hit your session limit · resets 3pm", "2025-11-24T11:00:00Z", "Europe/Berlin", Some(("2025-11-24T14:00:00Z", Session)))]
#[case::session_calcutta("You've hit your session limit · resets 6:40pm (Asia/Calcutta)", "2025-11-24T10:00:00Z", "UTC", Some(("2025-11-24T13:10:00Z", Session)))]
#[case::weekly_dated("You've hit your weekly limit · resets Nov 27, 12:40am (Europe/Berlin)", "2025-11-24T00:12:00Z", "UTC", Some(("2025-11-26T23:40:00Z", Weekly)))]
#[case::weekly_at("You've hit your weekly limit · resets May 28 at 7pm (Europe/Madrid)", "2026-05-25T09:00:00Z", "UTC", Some(("2026-05-28T17:00:00Z", Weekly)))]
#[case::weekly_in("You've hit your weekly limit · resets in 1d 5h", "2025-11-24T00:00:00Z", "UTC", Some(("2025-11-25T05:00:00Z", Weekly)))]
#[case::epoch("Claude AI usage limit reached|1749924000", "2025-06-14T17:56:06Z", "UTC", Some(("2025-06-14T18:00:00Z", Session)))]
#[case::epoch_ms("Claude AI usage limit reached|1749924000000", "2025-06-14T17:56:06Z", "UTC", Some(("2025-06-14T18:00:00Z", Session)))]
#[case::epoch_implausible(
    "Claude AI usage limit reached|1849924000",
    "2025-06-14T17:56:06Z",
    "UTC",
    None
)]
#[case::old_wording_posix_zone("Claude usage limit reached. Your limit will reset at 1pm (Etc/GMT+5).", "2025-06-14T17:56:06Z", "UTC", Some(("2025-06-14T18:00:00Z", Session)))]
#[case::old_wording_midnight("Claude usage limit reached. Your limit will reset at 12am.", "2025-07-15T20:00:00Z", "UTC", Some(("2025-07-16T00:00:00Z", Session)))]
#[case::resets_at("You've hit your usage limit. Your limit resets at 3pm (Europe/Madrid).", "2025-07-15T10:00:00Z", "UTC", Some(("2025-07-15T13:00:00Z", Session)))]
#[case::extra_usage("You're out of extra usage · resets Feb 4, 8pm (Europe/Budapest)", "2026-02-02T19:49:25Z", "UTC", Some(("2026-02-04T19:00:00Z", ExtraUsage)))]
#[case::extra_usage_time("You're out of extra usage · resets 7pm (Asia/Seoul)", "2026-05-05T06:35:43Z", "UTC", Some(("2026-05-05T10:00:00Z", ExtraUsage)))]
#[case::five_hour("5-hour limit reached · resets 2pm (Pacific/Auckland) · /upgrade to Max 20x or turn on /extra-usage", "2025-11-24T00:00:00Z", "UTC", Some(("2025-11-24T01:00:00Z", Session)))]
#[case::weekly_reached("Weekly limit reached · resets Dec 2, 7pm (Europe/Moscow) ·", "2025-11-29T10:00:00Z", "UTC", Some(("2025-12-02T16:00:00Z", Weekly)))]
#[case::opus_weekly("Opus weekly limit reached ∙ resets Oct 31, 9am", "2025-10-25T12:00:00Z", "UTC", Some(("2025-10-31T09:00:00Z", Weekly)))]
#[case::date_only("Opus weekly limit reached ∙ resets Oct 24", "2025-10-20T12:00:00Z", "UTC", Some(("2025-10-24T00:00:00Z", Weekly)))]
#[case::opus_limit("You've hit your Opus limit · resets 11pm (America/Los_Angeles)", "2025-11-24T18:00:00Z", "UTC", Some(("2025-11-25T07:00:00Z", Weekly)))]
#[case::session_bullet("Session limit reached ∙ resets 8pm", "2025-11-13T17:00:00Z", "UTC", Some(("2025-11-13T20:00:00Z", Session)))]
#[case::session_in_hours("Session limit reached – resets in 2 hours", "2025-11-13T17:00:00Z", "UTC", Some(("2025-11-13T19:00:00Z", Session)))]
// Gemini CLI and Qwen Code.
#[case::quota_after("You have exhausted your capacity on this model. Your quota will reset after 8h44m7s.", "2026-11-30T10:00:00Z", "UTC", Some(("2026-11-30T18:44:07Z", Weekly)))]
#[case::quota_after_minutes("Quota exhausted: You have exhausted your capacity on this model. Your quota will reset after 1m5s.", "2026-11-30T10:00:00Z", "UTC", Some(("2026-11-30T10:01:05Z", Session)))]
#[case::gemini_access_resets_pst("Usage limit reached for all Pro models. Access resets at 3:40 PM PST.", "2026-11-30T21:00:00Z", "UTC", Some(("2026-11-30T23:40:00Z", Session)))]
#[case::gemini_access_resets_gmt_offset("Access resets at 5:04 PM GMT+1.", "2026-11-30T14:00:00Z", "Asia/Tokyo", Some(("2026-11-30T16:04:00Z", Session)))]
#[case::gemini_access_resets_utc("Access resets at 5:04 PM UTC.", "2026-11-30T14:00:00Z", "Asia/Tokyo", Some(("2026-11-30T17:04:00Z", Session)))]
#[case::in_minutes("You've hit your session limit · resets in 45m", "2025-11-13T17:00:00Z", "UTC", Some(("2025-11-13T17:45:00Z", Session)))]
#[case::year_rollover("You've hit your weekly limit · resets Jan 2, 9am (UTC)", "2025-12-30T10:00:00Z", "UTC", Some(("2026-01-02T09:00:00Z", Weekly)))]
#[case::day_rollover("You've hit your session limit · resets 1:30am (UTC)", "2025-11-24T22:00:00Z", "UTC", Some(("2025-11-25T01:30:00Z", Session)))]
#[case::just_passed_is_now("You've hit your session limit · resets 3pm (UTC)", "2025-11-24T15:02:00Z", "UTC", Some(("2025-11-24T15:02:00Z", Session)))]
#[case::noon("You've hit your session limit · resets 12pm (America/New_York)", "2025-11-24T14:00:00Z", "UTC", Some(("2025-11-24T17:00:00Z", Session)))]
#[case::dotted_am("You've hit your session limit · resets 9 a.m. (UTC)", "2025-11-24T07:00:00Z", "UTC", Some(("2025-11-24T09:00:00Z", Session)))]
#[case::twenty_four_hour("You've hit your session limit · resets 15:00 (UTC)", "2025-11-24T11:00:00Z", "UTC", Some(("2025-11-24T15:00:00Z", Session)))]
#[case::september("You've hit your weekly limit · resets Sept 3, 9am (UTC)", "2025-08-30T10:00:00Z", "UTC", Some(("2025-09-03T09:00:00Z", Weekly)))]
#[case::unknown_zone_falls_back("You've hit your session limit · resets 3pm (Mars/Olympus)", "2025-11-24T01:00:00Z", "Asia/Tokyo", Some(("2025-11-24T06:00:00Z", Session)))]
#[case::dst_gap("You've hit your session limit · resets 2:30am (Europe/Berlin)", "2026-03-29T00:10:00Z", "UTC", Some(("2026-03-29T01:30:00Z", Session)))]
#[case::dst_repeat("You've hit your session limit · resets 2:30am (Europe/Berlin)", "2025-10-25T23:00:00Z", "UTC", Some(("2025-10-26T00:30:00Z", Session)))]
// Sanity clamp: implausible instants are dropped.
#[case::session_too_far(
    "You've hit your session limit · resets 3pm",
    "2025-11-24T16:00:00Z",
    "UTC",
    None
)]
#[case::session_dated_too_far(
    "You've hit your session limit · resets Nov 30, 3pm (UTC)",
    "2025-11-24T10:00:00Z",
    "UTC",
    None
)]
#[case::weekly_too_far(
    "You've hit your weekly limit · resets Dec 15, 3pm (UTC)",
    "2025-11-24T10:00:00Z",
    "UTC",
    None
)]
#[case::weekly_next_day("You've hit your weekly limit · resets 3pm", "2025-11-24T16:00:00Z", "UTC", Some(("2025-11-25T15:00:00Z", Weekly)))]
// Codex CLI.
#[case::codex_time("You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 11:46 PM.", "2025-11-24T20:00:00Z", "Europe/Berlin", Some(("2025-11-24T22:46:00Z", Session)))]
#[case::codex_time_far("You've hit your usage limit. Try again at 11:46 PM.", "2025-11-24T15:00:00Z", "UTC", Some(("2025-11-24T23:46:00Z", Weekly)))]
#[case::codex_dated("You've hit your usage limit. Try again at Nov 24th, 2026 12:57 AM.", "2026-11-20T10:00:00Z", "UTC", Some(("2026-11-24T00:57:00Z", Weekly)))]
#[case::codex_dated_credits("You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at Mar 10th, 2026 3:39 AM.", "2026-03-04T17:48:31Z", "UTC", Some(("2026-03-10T03:39:00Z", Weekly)))]
#[case::codex_dated_1st("You've hit your usage limit. Try again at Dec 1st, 2025 9:05 AM.", "2025-11-28T10:00:00Z", "America/Chicago", Some(("2025-12-01T15:05:00Z", Weekly)))]
#[case::codex_in("You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 3 days 6 hours 57 minutes.", "2025-09-03T10:00:00Z", "UTC", Some(("2025-09-06T16:57:00Z", Weekly)))]
#[case::codex_in_wrapped("■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 5 days 22 hours 11\nminutes.", "2025-09-19T00:00:00Z", "UTC", Some(("2025-09-24T22:11:00Z", Weekly)))]
#[case::codex_in_short("You've hit your usage limit. try again in 2 hours 13 minutes.", "2025-09-19T00:00:00Z", "UTC", Some(("2025-09-19T02:13:00Z", Session)))]
#[case::codex_admin("You've hit your usage limit. To get more access now, send a request to your admin or try again at 3:42 PM.", "2025-11-24T19:00:00Z", "America/Chicago", Some(("2025-11-24T21:42:00Z", Session)))]
#[case::codex_month_too_far(
    "You've hit your usage limit. Upgrade to Plus to continue using Codex (https://chatgpt.com/explore/plus), or try again at Jul 5th, 2026 8:19 PM.",
    "2026-06-05T12:00:00Z",
    "UTC",
    None
)]
#[case::codex_past_year(
    "You've hit your usage limit. Try again at Nov 24th, 2024 12:57 AM.",
    "2025-11-24T00:00:00Z",
    "UTC",
    None
)]
#[case::codex_later(
    "You've hit your usage limit. Try again later.",
    "2025-11-24T00:00:00Z",
    "UTC",
    None
)]
#[case::codex_no_time(
    "You've hit your usage limit. Limits reset every 5h and every week.",
    "2025-11-24T00:00:00Z",
    "UTC",
    None
)]
#[case::codex_localized(
    "You've hit your usage limit. Upgrade your plan to continue, or try again at 10 de jul. de 2026, 11:52.",
    "2026-06-13T12:07:00Z",
    "UTC",
    None
)]
// Garbage.
#[case::empty("", "2025-11-24T00:00:00Z", "UTC", None)]
#[case::whenever("resets whenever it likes", "2025-11-24T00:00:00Z", "UTC", None)]
#[case::bad_hour("resets 25:00", "2025-11-24T00:00:00Z", "UTC", None)]
#[case::bad_pm("resets 13pm", "2025-11-24T00:00:00Z", "UTC", None)]
#[case::bad_day("resets Feb 31, 9am (UTC)", "2025-02-01T00:00:00Z", "UTC", None)]
#[case::no_month("resets Foo 12", "2025-11-24T00:00:00Z", "UTC", None)]
fn parses_reset(
    #[case] text: &str,
    #[case] now: &str,
    #[case] tz: &str,
    #[case] want: Option<(&str, UsageWindow)>,
) {
    let got = parse_reset(text, &ctx(now, tz));
    assert_eq!(got, want.map(|(a, w)| (at(a), w)), "{text}");
}

#[rstest]
#[case("You've hit your session limit · resets 3pm", Some(Session))]
#[case(
    "5-hour limit reached · resets 2pm · /upgrade to Max 20x or turn on /extra-usage",
    Some(Session)
)]
#[case("You've hit your weekly limit · resets Nov 27", Some(Weekly))]
#[case("You've hit your Opus limit · resets 3pm", Some(Weekly))]
#[case("Claude Opus 4.1 limit reached", Some(Weekly))]
#[case("You're out of extra usage · resets 9pm", Some(ExtraUsage))]
#[case("Claude AI usage limit reached|1749924000", None)]
#[case("You've hit your usage limit. Try again later.", None)]
fn names_window(#[case] text: &str, #[case] want: Option<UsageWindow>) {
    assert_eq!(named_window(text), want, "{text}");
}

#[rstest]
#[case(Some("Europe/Berlin"), "Europe/Berlin")]
#[case(Some(":Asia/Tokyo"), "Asia/Tokyo")]
#[case(Some(" UTC "), "UTC")]
#[case(Some("EST5EDT"), "EST5EDT")]
#[case(Some(":/usr/share/zoneinfo/Asia/Tokyo"), "Asia/Tokyo")]
#[case(Some("Not/AZone"), "UTC")]
#[case(Some(""), "UTC")]
#[case(None, "UTC")]
fn tz_from_names(#[case] name: Option<&str>, #[case] want: &str) {
    assert_eq!(tz_from_name(name), want.parse::<Tz>().expect("zone"));
}

#[rstest]
#[case("/usr/share/zoneinfo/Europe/Berlin", Some("Europe/Berlin"))]
#[case("../usr/share/zoneinfo/America/New_York", Some("America/New_York"))]
#[case("/usr/share/zoneinfo/posix/Asia/Tokyo", Some("Asia/Tokyo"))]
#[case("/var/db/timezone/zoneinfo/UTC", Some("UTC"))]
#[case("/etc/localtime.bak", None)]
fn tz_from_links(#[case] target: &str, #[case] want: Option<&str>) {
    let want = want.map(|w| w.parse::<Tz>().expect("zone"));
    assert_eq!(Tz::named_by_link(std::path::Path::new(target)), want);
}

const ZONES: [&str; 8] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Calcutta",
    "Pacific/Auckland",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Pacific/Chatham",
];

fn any_now() -> impl Strategy<Value = DateTime<Utc>> {
    // 2000-01-01 .. 2090-01-01
    (946_684_800i64..3_786_912_000i64)
        .prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range"))
}

proptest! {
    #[test]
    fn never_panics_and_stays_in_window(text in ".{0,120}", now in any_now(), z in 0usize..ZONES.len()) {
        let ctx = ClassifyContext::new(now, ZONES[z].parse().expect("zone"));
        if let Some((at, window)) = parse_reset(&text, &ctx) {
            prop_assert!(at >= now);
            prop_assert!(at <= now + window_horizon(window));
        }
    }

    #[test]
    fn reset_phrases_never_escape_the_clamp(
        prefix in prop::sample::select(vec!["You've hit your session limit · ", "You've hit your weekly limit · ", "", "You're out of extra usage · "]),
        body in "(resets|try again at|try again in) [A-Za-z]{0,5} ?[0-9]{0,4}(st|th)?,? ?[0-9]{0,2}:?[0-9]{0,2} ?(am|pm|AM|PM)? ?(\\(Europe/Berlin\\)|\\(UTC\\))?",
        now in any_now(),
    ) {
        let text = format!("{prefix}{body}");
        let ctx = ClassifyContext::new(now, Tz::UTC);
        if let Some((at, window)) = parse_reset(&text, &ctx) {
            prop_assert!(at >= now, "{text}");
            prop_assert!(at <= now + window_horizon(window), "{text}");
        }
    }

    #[test]
    fn clock_times_land_within_a_day(h in 1u32..=12, m in 0u32..60, pm in any::<bool>(), z in 0usize..ZONES.len(), now in any_now()) {
        let text = format!("You've hit your weekly limit · resets {h}:{m:02}{} ({})", if pm { "pm" } else { "am" }, ZONES[z]);
        let ctx = ClassifyContext::new(now, Tz::UTC);
        let (at, window) = parse_reset(&text, &ctx).expect("a clock time always parses");
        prop_assert_eq!(window, Weekly);
        prop_assert!(at >= now);
        // Next occurrence: within a day, plus an hour where a DST gap pushes it on.
        prop_assert!(at <= now + TimeDelta::hours(25) + TimeDelta::minutes(30), "{} from {}", at, now);
    }

    #[test]
    fn durations_add_up(d in 0i64..7, h in 0i64..24, m in 0i64..60, now in any_now()) {
        let text = format!("You've hit your usage limit. Try again in {d} days {h} hours {m} minutes.");
        let ctx = ClassifyContext::new(now, Tz::UTC);
        let want = now + TimeDelta::days(d) + TimeDelta::hours(h) + TimeDelta::minutes(m);
        let got = parse_reset(&text, &ctx).map(|(at, _)| at);
        prop_assert_eq!(got, Some(want));
    }
}

/// Codex's `try again at` forms as 0.169.0 prints them (`%-I:%M %p` on the same local day, else
/// `%b %-d<st|nd|rd|th>, %Y %-I:%M %p`, in the process's zone, apostrophe U+2019), read in that zone.
#[rstest]
#[case::real_session("You’ve hit your usage limit. Try again at 1:51 AM.", "2026-11-24T00:51:54Z", "UTC", ("2026-11-24T01:51:00Z", Session))]
#[case::real_weekly_plus("You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at Nov 25th, 2026 6:51 AM.", "2026-11-24T00:51:55Z", "UTC", ("2026-11-25T06:51:00Z", Weekly))]
#[case::past_midnight("You’ve hit your usage limit. Try again at 12:05 AM.", "2026-11-24T23:30:00Z", "UTC", ("2026-11-25T00:05:00Z", Session))]
#[case::noon("You’ve hit your usage limit. Try again at 12:30 PM.", "2026-11-24T10:00:00Z", "UTC", ("2026-11-24T12:30:00Z", Session))]
#[case::berlin("You’ve hit your usage limit. Try again at 6:51 AM.", "2026-11-24T00:51:55Z", "Europe/Berlin", ("2026-11-24T05:51:00Z", Session))]
#[case::kolkata("You’ve hit your usage limit. Try again at 7:00 PM.", "2026-11-24T10:00:00Z", "Asia/Kolkata", ("2026-11-24T13:30:00Z", Session))]
#[case::nd("You’ve hit your usage limit. Try again at Dec 2nd, 2026 6:51 AM.", "2026-11-28T10:00:00Z", "UTC", ("2026-12-02T06:51:00Z", Weekly))]
#[case::rd_next_year("You’ve hit your usage limit. Try again at Jan 3rd, 2027 1:00 AM.", "2026-12-30T10:00:00Z", "UTC", ("2027-01-03T01:00:00Z", Weekly))]
#[case::twenty_second("You’ve hit your usage limit. Try again at Nov 22nd, 2026 11:59 PM.", "2026-11-20T10:00:00Z", "UTC", ("2026-11-22T23:59:00Z", Weekly))]
#[case::dst_starts_between("You’ve hit your usage limit. Try again at Mar 9th, 2026 3:30 AM.", "2026-03-05T12:00:00Z", "America/New_York", ("2026-03-09T07:30:00Z", Weekly))]
fn codex_try_again_at(
    #[case] text: &str,
    #[case] now: &str,
    #[case] tz: &str,
    #[case] want: (&str, UsageWindow),
) {
    assert_eq!(
        parse_reset(text, &ctx(now, tz)),
        Some((at(want.0), want.1)),
        "{text}"
    );
    // The same message as free text (a terminal screen) is the same stop.
    assert_eq!(
        classify_text(text, &ctx(now, tz)),
        Some(crate::model::StopReason::UsageLimit {
            resets_at: Some(at(want.0)),
            window: want.1,
            precision: crate::model::Precision::Minute
        })
    );
}

//! When a usage limit resets, read from the assistant's own words.
//!
//! Claude Code: "resets 3pm", "resets 12:57am (UTC)", "resets Nov 27, 12:40am (Europe/Berlin)",
//! "resets May 28 at 7pm (Europe/Madrid)", "resets in 1d 5h", "Your limit will reset at 3pm",
//! "Claude AI usage limit reached|1749924000". Codex: "try again at 11:46 PM.", "try again at Nov 24th,
//! 2026 12:57 AM.", "try again in 3 days 6 hours 57 minutes". A time without a zone is in the agent's
//! zone; a time without a date is its next occurrence; a date without a year its next occurrence.
//! An instant the window cannot plausibly have (a session window resetting in 20 hours) is dropped:
//! waiting a wrong time is worse than not knowing.

use std::sync::LazyLock;

use crate::tz::Tz;
use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use regex::Regex;

use super::ClassifyContext;
use super::text::re;
use crate::model::{Precision, UsageWindow};

/// How far before `now` a stated reset may lie and still count as "now" (minute precision, clock skew).
pub const RESET_TOLERANCE: TimeDelta = TimeDelta::minutes(5);

/// The latest a window can plausibly reset, counted from now: 5 h (+1 h slack) for the session
/// window, 7 days (+1 h) for a weekly or unknown one, 31 days (+1 h) for extra usage.
pub fn window_horizon(window: UsageWindow) -> TimeDelta {
    let slack = TimeDelta::hours(1);
    match window {
        UsageWindow::Session => TimeDelta::hours(5) + slack,
        UsageWindow::Weekly | UsageWindow::Unknown => TimeDelta::days(7) + slack,
        UsageWindow::ExtraUsage => TimeDelta::days(31) + slack,
    }
}

/// `at` if it is plausible for `window` as seen at `now`; a reset already past (by less than a week) is
/// `now`: the limit has lifted, resume at once. `None` when it lies beyond the window's horizon, or further
/// back than any window.
pub fn clamp_reset(
    at: DateTime<Utc>,
    window: UsageWindow,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if at < now - window_horizon(UsageWindow::Weekly) || at > now + window_horizon(window) {
        None
    } else {
        Some(at.max(now))
    }
}

/// The window a reset instant fits when the message does not name one.
pub fn infer_window(at: DateTime<Utc>, now: DateTime<Utc>) -> UsageWindow {
    let ahead = at - now;
    if ahead <= window_horizon(UsageWindow::Session) {
        UsageWindow::Session
    } else if ahead <= window_horizon(UsageWindow::Weekly) {
        UsageWindow::Weekly
    } else {
        UsageWindow::Unknown
    }
}

static WINDOWS: LazyLock<Vec<(Regex, UsageWindow)>> = LazyLock::new(|| {
    vec![
        (
            re(r"(?i)\b(?:session|5-hour|five-hour|5h)\s+limit"),
            UsageWindow::Session,
        ),
        (
            re(r"(?i)\b(?:weekly|opus|sonnet|7-day|seven-day)(?:\s+[\w.]+)?\s+limit"),
            UsageWindow::Weekly,
        ),
        (
            re(
                r"(?i)out of extra usage|\bextra usage (?:limit|reached|exhausted|spend)|hit your extra usage",
            ),
            UsageWindow::ExtraUsage,
        ),
    ]
});

/// The window a message names ("session limit", "weekly limit", "Opus limit", "extra usage"); the
/// first one named wins.
pub fn named_window(text: &str) -> Option<UsageWindow> {
    WINDOWS
        .iter()
        .filter_map(|(r, w)| r.find(text).map(|m| (m.start(), *w)))
        .min_by_key(|(start, _)| *start)
        .map(|(_, w)| w)
}

/// The reset instant a usage-limit message states, with its window (named, else inferred from how far
/// away the instant is). `None` when it states none, or one that is implausible for the window.
pub fn parse_reset(text: &str, ctx: &ClassifyContext) -> Option<(DateTime<Utc>, UsageWindow)> {
    let norm = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let raw = stated_instant(&norm, ctx)?;
    let window = named_window(&norm).unwrap_or_else(|| infer_window(raw, ctx.now));
    clamp_reset(raw, window, ctx.now).map(|at| (at, window))
}

/// The reset instant a message states, as stated: not checked against the window, possibly past. For
/// telling a person what was announced when [`parse_reset`] drops it.
pub fn announced_reset(text: &str, ctx: &ClassifyContext) -> Option<DateTime<Utc>> {
    let norm = text.split_whitespace().collect::<Vec<_>>().join(" ");
    stated_instant(&norm, ctx)
}

/// How precisely the reset a message states is known: an epoch ("limit reached|1749924000") to the
/// second, every wall-clock or relative form to the minute.
pub fn reset_precision(text: &str) -> Precision {
    if EPOCH.is_match(text) {
        Precision::Exact
    } else {
        Precision::Minute
    }
}

static EPOCH: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)limit reached\|(\d{9,13})\b"));
static CLAUSE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:resets?|try again)(?:\s+(at|on|in|after))?\s+"));

fn stated_instant(norm: &str, ctx: &ClassifyContext) -> Option<DateTime<Utc>> {
    if let Some(c) = EPOCH.captures(norm) {
        return crate::clock::epoch_instant(c[1].parse().ok()?);
    }
    CLAUSE.captures_iter(norm).find_map(|c| {
        let body = &norm[c.get(0)?.end()..];
        // "in 2 hours", "after 8h44m7s" (Gemini CLI and Qwen Code: "Your quota will reset after …").
        if c.get(1).is_some_and(|m| {
            m.as_str().eq_ignore_ascii_case("in") || m.as_str().eq_ignore_ascii_case("after")
        }) {
            let d = parse_duration(body)?;
            ctx.now.checked_add_signed(d)
        } else {
            parse_when(body, ctx)
        }
    })
}

static DURATION_PART: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^[\s,]*(?:and\s+)?(\d{1,7})\s*(weeks|week|w|days|day|d|hours|hour|hrs|hr|h|minutes|minute|mins|min|m|seconds|second|secs|sec|s)",
    )
});

/// "1d 5h", "3 days 6 hours 57 minutes", "2 hours and 13 minutes", "45m".
fn parse_duration(body: &str) -> Option<TimeDelta> {
    let mut rest = body;
    let mut total: i64 = 0;
    let mut parts = 0;
    while let Some(c) = DURATION_PART.captures(rest) {
        let end = c.get(0)?.end();
        if rest[end..].starts_with(|ch: char| ch.is_ascii_alphabetic()) {
            break;
        }
        let n: i64 = c[1].parse().ok()?;
        let unit = match c[2].to_ascii_lowercase().as_str() {
            "w" | "week" | "weeks" => 7 * 86_400,
            "d" | "day" | "days" => 86_400,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            _ => 1,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        parts += 1;
        rest = &rest[end..];
    }
    (parts > 0 && total <= 400 * 86_400).then(|| TimeDelta::seconds(total))
}

static DATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?"));
static WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^(mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday|s|r|rs)?\.?(?:,|\b)")
});

fn weekday_of(word: &str) -> Option<Weekday> {
    word.to_ascii_lowercase().parse().ok()
}

static AT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^[,\s]*(?:at\s+)?"));
static TIME_12: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b\.?"));
static TIME_24: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{1,2}):(\d{2})\b"));
static ZONE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*\(([A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)\)"));

/// A zone written after the time the way JavaScript's `toLocaleTimeString` writes it (Gemini CLI: "Access
/// resets at 3:40 PM PST."): a North American abbreviation, UTC/GMT, or `GMT+5:30`.
static ZONE_ABBR: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?:(UTC|GMT)(?:([+-])(\d{1,2})(?::(\d{2}))?)?|([A-Z]{3,4}))\b"));

/// The fixed-offset zone an abbreviation after a time stands for.
fn abbreviated_zone(rest: &str) -> Option<Tz> {
    let c = ZONE_ABBR.captures(rest)?;
    let hours_west: i32 = if c.get(1).is_some() {
        let Some(sign) = c.get(2) else {
            return Some(Tz::UTC);
        };
        if c.get(4).is_some_and(|m| m.as_str() != "00") {
            return None;
        }
        let h: i32 = c[3].parse().ok()?;
        if sign.as_str() == "+" { -h } else { h }
    } else {
        match &c[5] {
            "HST" => 10,
            "AKST" => 9,
            "AKDT" | "PST" => 8,
            "PDT" | "MST" => 7,
            "MDT" | "CST" => 6,
            "CDT" | "EST" => 5,
            "EDT" | "AST" => 4,
            "ADT" => 3,
            "WET" => 0,
            "CET" => -1,
            "CEST" | "EET" => -2,
            "EEST" => -3,
            _ => return None,
        }
    };
    // The IANA `Etc/GMT±N` zones count the other way round: Etc/GMT+8 is eight hours west of UTC.
    match hours_west {
        0 => Some(Tz::UTC),
        h if h > 0 => format!("Etc/GMT+{h}").parse().ok(),
        h => format!("Etc/GMT{h}").parse().ok(),
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_number(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    let w = if w == "sept" { "sep".to_owned() } else { w };
    MONTHS
        .iter()
        .position(|m| m.starts_with(&w))
        .map(|i| i as u32 + 1)
}

/// "[Mon D[th][, YYYY] | Weekday][,] [at] [H[:MM]am|HH:MM] [(Zone)]": at least a date or a time. A weekday
/// names its next occurrence; the weekday of today means a week from today (today's reset would be shown as
/// a bare time).
fn parse_when(body: &str, ctx: &ClassifyContext) -> Option<DateTime<Utc>> {
    let mut rest = body;
    let mut date = None;
    let mut weekday = None;
    if let Some(c) = WEEKDAY.captures(rest)
        && let Some(day) = weekday_of(&c[1])
    {
        weekday = Some(day);
        rest = &rest[c.get(0)?.end()..];
        rest = &rest[AT.find(rest).map_or(0, |m| m.end())..];
    } else if let Some(c) = DATE.captures(rest)
        && let Some(month) = month_number(&c[1])
    {
        let day: u32 = c[2].parse().ok()?;
        let year: Option<i32> = c.get(3).and_then(|y| y.as_str().parse().ok());
        date = Some((month, day, year));
        rest = &rest[c.get(0)?.end()..];
        rest = &rest[AT.find(rest).map_or(0, |m| m.end())..];
    }
    let mut time = None;
    if let Some(c) = TIME_12.captures(rest) {
        let h: u32 = c[1].parse().ok()?;
        let m: u32 = c.get(2).map_or(Some(0), |m| m.as_str().parse().ok())?;
        if !(1..=12).contains(&h) {
            return None;
        }
        let pm = c[3].eq_ignore_ascii_case("p");
        time = Some((h % 12 + if pm { 12 } else { 0 }, m));
        rest = &rest[c.get(0)?.end()..];
    } else if let Some(c) = TIME_24.captures(rest) {
        time = Some((c[1].parse().ok()?, c[2].parse().ok()?));
        rest = &rest[c.get(0)?.end()..];
    }
    if date.is_none() && time.is_none() && weekday.is_none() {
        return None;
    }
    let (hour, minute) = time.unwrap_or((0, 0));
    if hour > 23 || minute > 59 {
        return None;
    }
    let tz = ZONE
        .captures(rest)
        .and_then(|c| c[1].parse::<Tz>().ok())
        .or_else(|| abbreviated_zone(rest))
        .unwrap_or(ctx.tz);
    let today = ctx.now.with_timezone(&tz).date_naive();
    let earliest = ctx.now - RESET_TOLERANCE;
    let next = |days: Vec<NaiveDate>| {
        days.into_iter()
            .filter_map(|day| local_instant(tz, day, hour, minute))
            .find(|at| *at >= earliest)
    };
    if let Some(day) = weekday {
        let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
        let ahead = if ahead == 0 { 7 } else { ahead };
        return local_instant(tz, today + TimeDelta::days(i64::from(ahead)), hour, minute);
    }
    match date {
        // An explicit year has no "next occurrence": a past instant stays past (and is dropped later).
        Some((m, d, Some(y))) => local_instant(tz, NaiveDate::from_ymd_opt(y, m, d)?, hour, minute),
        Some((m, d, None)) => next(
            (0..=1)
                .filter_map(|k| NaiveDate::from_ymd_opt(today.year() + k, m, d))
                .collect(),
        ),
        None => next(vec![today, today.succ_opt()?]),
    }
}

/// A wall-clock time in `tz` as an instant: the earlier one when the clock repeats, the hour after
/// when it skips (daylight-saving gaps).
fn local_instant(tz: Tz, day: NaiveDate, hour: u32, minute: u32) -> Option<DateTime<Utc>> {
    let naive = day.and_hms_opt(hour, minute, 0)?;
    let local = match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t,
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => tz
            .from_local_datetime(&(naive + TimeDelta::hours(1)))
            .earliest()?,
    };
    Some(local.with_timezone(&Utc))
}

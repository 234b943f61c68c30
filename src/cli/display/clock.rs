//! Times as a person reads them: in the local zone (`$TZ`, else the machine's), with the zone shown, or in
//! UTC with `--utc`; and countdowns ("in 4h 12m") beside the times something will happen. JSON output keeps
//! RFC 3339 UTC and never comes through here.

use crate::tz::Tz;
use chrono::{DateTime, Offset, Utc};

/// The zone times are shown in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Zone {
    Utc,
    /// An IANA zone (`Asia/Kolkata`): shown with its abbreviation (`IST`) where it has one.
    Named(Tz),
    /// A `TZ` that names no IANA zone (a POSIX rule such as `IST-5:30`): the C library's local time, shown
    /// by its offset.
    Local,
}

impl Zone {
    /// `--utc`, else `$TZ` (an IANA name or zoneinfo path, optionally after `:`, or a POSIX rule), else the
    /// machine's zone (`/etc/localtime`).
    pub fn from_env(utc: bool) -> Zone {
        if utc {
            return Zone::Utc;
        }
        match std::env::var("TZ") {
            Ok(tz) if !tz.trim().is_empty() => Zone::named(&tz),
            _ => Tz::machine_local().map(Zone::of),
        }
        .unwrap_or(Zone::Local)
    }

    fn named(value: &str) -> Option<Zone> {
        Tz::from_tz_variable(value).map(Zone::of)
    }

    fn of(tz: Tz) -> Zone {
        if tz.is_utc() {
            Zone::Utc
        } else {
            Zone::Named(tz)
        }
    }

    /// The wall time at `at` and how the zone is labelled then: `(time, "IST", "+05:30")`.
    fn local(&self, at: DateTime<Utc>) -> (chrono::NaiveDateTime, String, String) {
        let (naive, abbr, offset) = match self {
            Zone::Utc => return (at.naive_utc(), "UTC".into(), "UTC".into()),
            Zone::Named(tz) => {
                let t = at.with_timezone(tz);
                (
                    t.naive_local(),
                    t.format("%Z").to_string(),
                    t.offset().fix(),
                )
            }
            Zone::Local => {
                let t = at.with_timezone(&chrono::Local);
                (t.naive_local(), String::new(), t.offset().fix())
            }
        };
        let offset = offset.to_string();
        // Zones without a letter abbreviation show "+0530"-like text for %Z: use the offset instead.
        let abbr = if abbr.starts_with(|c: char| c.is_ascii_alphabetic()) {
            abbr
        } else {
            offset.clone()
        };
        (naive, abbr, offset)
    }

    /// A full timestamp: `2026-12-01 18:40:05 +05:30`, or `2026-12-01 13:10:05 UTC`.
    pub fn full(&self, at: DateTime<Utc>) -> String {
        let (t, _, offset) = self.local(at);
        format!("{} {offset}", t.format("%Y-%m-%d %H:%M:%S"))
    }

    /// A time of day near `now`: `18:40 IST`, with the date when it falls on another day (`Dec 02 18:40 IST`);
    /// the countdown beside it carries the seconds.
    pub fn clock(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
        let (t, abbr, _) = self.local(at);
        let (today, _, _) = self.local(now);
        let format = if t.date() == today.date() {
            "%H:%M"
        } else {
            "%b %d %H:%M"
        };
        format!("{} {abbr}", t.format(format))
    }
}

/// "in 4m 10s" / "5s ago".
pub fn countdown(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    let (abs, future) = (secs.unsigned_abs(), secs >= 0);
    let text = if abs >= 86_400 {
        format!("{}d {}h", abs / 86_400, abs % 86_400 / 3600)
    } else if abs >= 3600 {
        format!("{}h {}m", abs / 3600, abs % 3600 / 60)
    } else if abs >= 60 {
        format!("{}m {}s", abs / 60, abs % 60)
    } else {
        format!("{abs}s")
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn kolkata_shows_ist_and_its_offset() {
        let zone = Zone::named("Asia/Kolkata").unwrap();
        let now = t("2026-12-01T10:00:00Z");
        assert_eq!(zone.full(now), "2026-12-01 15:30:00 +05:30");
        assert_eq!(zone.clock(t("2026-12-01T13:10:05Z"), now), "18:40 IST");
        assert_eq!(
            zone.clock(t("2026-12-01T20:00:00Z"), now),
            "Dec 02 01:30 IST",
            "the next day is dated"
        );
    }

    #[test]
    fn utc_is_labelled_and_named_utc_zones_are_utc() {
        let now = t("2026-12-01T10:00:00Z");
        assert_eq!(Zone::Utc.full(now), "2026-12-01 10:00:00 UTC");
        assert_eq!(Zone::Utc.clock(now, now), "10:00 UTC");
        assert_eq!(Zone::named(":UTC"), Some(Zone::Utc));
        assert_eq!(Zone::named("IST-5:30"), None);
    }

    #[test]
    fn zones_without_an_abbreviation_show_the_offset() {
        let zone = Zone::named("America/Sao_Paulo").unwrap();
        let now = t("2026-12-01T10:00:00Z");
        assert_eq!(zone.clock(now, now), "07:00 -03:00");
    }

    #[test]
    fn countdowns_read_naturally() {
        let now = t("2026-11-24T10:00:00Z");
        let at = |s: i64| now + chrono::Duration::seconds(s);
        assert_eq!(countdown(at(5), now), "in 5s");
        assert_eq!(countdown(at(250), now), "in 4m 10s");
        assert_eq!(countdown(at(-3700), now), "1h 1m ago");
        assert_eq!(countdown(at(90_000), now), "in 1d 1h");
    }
}

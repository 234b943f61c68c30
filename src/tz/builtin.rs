//! The fallback where a system has no time-zone database: every zone's POSIX TZ rule (`CET-1CEST,M3.5.0,
//! M10.5.0/3`), as the TZif files of the tzdata release named in `rules.txt` end with it (written by
//! `scripts/gen-tz-rules.py`). A rule gives the offsets in force now and later, not history, which is what
//! palingenesis converts: reset times within days of now. Zones whose files list their future changes one by
//! one instead (Morocco's, around Ramadan) are right only outside those dates. 17 KB of text, nothing
//! relocated at start.

const RULES: &str = include_str!("rules.txt");

/// The tzdata release the table was made from (`2026f`).
pub fn release() -> &'static str {
    RULES
        .lines()
        .next()
        .and_then(|header| header.strip_prefix("# tzdata "))
        .and_then(|rest| rest.split(':').next())
        .unwrap_or("unknown")
}

/// The rule of zone `name`, if the table has the zone.
pub fn rule(name: &str) -> Option<&'static str> {
    RULES
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (zone, rule) = line.split_once(' ')?;
            (zone == name).then_some(rule)
        })
}

/// The zone a rule describes, read as a TZif file without transitions that ends with the rule (RFC 8536,
/// version 3, so that the rule's extensions such as `/24` and negative hours are allowed).
pub fn zone_of(rule: &str) -> Option<tz::TimeZone> {
    let mut file = Vec::new();
    // Version 1 block, then the version 2+ block: each one local time type (UTC, "-00"), nothing else.
    for _ in 0..2 {
        file.extend_from_slice(b"TZif3");
        file.extend_from_slice(&[0; 15]);
        // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
        for count in [0u32, 0, 0, 0, 1, 4] {
            file.extend_from_slice(&count.to_be_bytes());
        }
        file.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        file.extend_from_slice(b"-00\0");
    }
    file.push(b'\n');
    file.extend_from_slice(rule.as_bytes());
    file.push(b'\n');
    tz::TimeZone::from_tz_data(&file).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_reads_as_a_zone() {
        let mut n = 0;
        for line in RULES.lines().filter(|l| !l.starts_with('#')) {
            let (zone, rule) = line.split_once(' ').expect(line);
            assert!(zone_of(rule).is_some(), "{zone}: {rule}");
            n += 1;
        }
        assert!(n > 500, "{n} zones");
        assert_ne!(release(), "unknown");
    }

    #[test]
    fn rules_give_the_offsets_in_force() {
        let at = |zone: &str, unix: i64| {
            let tz = zone_of(rule(zone).unwrap()).unwrap();
            let t = tz.find_local_time_type(unix).unwrap();
            (t.ut_offset(), t.time_zone_designation().to_string())
        };
        // 2026-07-01 and 2026-12-01, 12:00 UTC.
        let (july, december) = (1_782_907_200, 1_796_126_400);
        assert_eq!(at("Europe/Berlin", july), (7200, "CEST".into()));
        assert_eq!(at("Europe/Berlin", december), (3600, "CET".into()));
        assert_eq!(at("Asia/Kolkata", july), (19_800, "IST".into()));
        assert_eq!(at("Asia/Calcutta", december), (19_800, "IST".into()));
        assert_eq!(at("America/Los_Angeles", july).0, -7 * 3600);
        assert_eq!(at("Australia/Sydney", july).0, 10 * 3600);
        assert_eq!(at("Australia/Sydney", december).0, 11 * 3600);
        assert!(rule("Mars/Olympus_Mons").is_none());
    }
}

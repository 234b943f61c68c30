//! Upper (and lower) bounds of the numeric settings that become durations: a value outside them is a
//! mistake (three years of verification, a zero health-check interval) and is rejected by validation with
//! its place in the file, rather than overflowing a timer at the first stop.

use super::Config;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// One bounded setting: dotted key, value, inclusive range. (An assistant bounds its own section's settings in
/// its folder.)
struct Bound {
    key: &'static str,
    value: u64,
    min: u64,
    max: u64,
}

fn bounds(c: &Config) -> [Bound; 8] {
    let b = |key, value, min, max| Bound {
        key,
        value,
        min,
        max,
    };
    let r = &c.resume;
    // The longest a stop is ever waited on (clock::MAX_WAIT).
    let max_wait = crate::clock::MAX_WAIT.num_seconds().unsigned_abs();
    [
        b("resume.backoff_base_secs", r.backoff_base_secs, 1, max_wait),
        b("resume.backoff_max_secs", r.backoff_max_secs, 1, max_wait),
        b("resume.reset_margin_secs", r.reset_margin_secs, 0, DAY),
        b("resume.verify_timeout_secs", r.verify_timeout_secs, 1, DAY),
        b(
            "monitoring.freshness_secs",
            c.monitoring.freshness_secs,
            0,
            365 * DAY,
        ),
        b(
            "notifications.timeout_secs",
            c.notifications.timeout_secs,
            0,
            HOUR,
        ),
        // Ten years: anything longer is "never", which is 0.
        b(
            "daemon.forget_after_days",
            u64::from(c.daemon.forget_after_days),
            0,
            3650,
        ),
        b(
            "daemon.park_after_secs",
            c.daemon.park_after_secs,
            0,
            365 * DAY,
        ),
    ]
}

/// The first setting outside its range: its dotted key and why.
pub(super) fn check(c: &Config) -> Result<(), (String, String)> {
    for b in bounds(c) {
        if b.value < b.min || b.value > b.max {
            return Err((
                b.key.to_string(),
                format!(
                    "must be between {} and {} ({}), got {}",
                    b.min,
                    b.max,
                    readable(b.key, b.max),
                    b.value
                ),
            ));
        }
    }
    Ok(())
}

/// The upper bound in words.
fn readable(key: &str, max: u64) -> String {
    if key.ends_with("_days") {
        return format!("at most {max} days; 0 for never");
    }
    debug_assert!(key.ends_with("_secs"));
    match max {
        m if m % DAY == 0 => format!("at most {} days", m / DAY),
        m if m % HOUR == 0 => format!("at most {} hours", m / HOUR),
        m => format!("at most {m} s"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::load::load_from_str;

    #[test]
    fn durations_beyond_their_bound_are_rejected_with_their_place() {
        for (text, key, line) in [
            (
                "[resume]\nverify_timeout_secs = 100000000\n",
                "resume.verify_timeout_secs",
                2,
            ),
            (
                "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 99999999999\n",
                "resume.backoff_max_secs",
                3,
            ),
            (
                "[monitoring]\nfreshness_secs = 9223372036854775807\n",
                "monitoring.freshness_secs",
                2,
            ),
            (
                "[daemon]\nforget_after_days = 100000\n",
                "daemon.forget_after_days",
                2,
            ),
            (
                "\n[opencode]\nrestart_window_secs = 99999999999\n",
                "opencode.restart_window_secs",
                3,
            ),
        ] {
            let err = load_from_str(text, Path::new("/etc/p.toml"), &[])
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("/etc/p.toml:{line}:")), "{err}");
            assert!(err.contains(key), "{err}");
            assert!(err.contains("must be between"), "{err}");
        }
        let ok = "[resume]\nverify_timeout_secs = 86400\n";
        assert!(load_from_str(ok, Path::new("x"), &[]).is_ok());
    }
}

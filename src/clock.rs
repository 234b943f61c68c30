//! Time arithmetic that cannot panic, and sanity for instants that come from outside (config numbers,
//! transcript lines, API payloads).
//!
//! Every delay palingenesis schedules is bounded by [`MAX_WAIT`]; anything longer is clamped (and the caller
//! says so in the audit trail). Instants stated by a record are trusted only up to [`FUTURE_TOLERANCE`]
//! ahead of the local clock, and epoch numbers are read in the unit their magnitude implies.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

/// Where the wall-clock time comes from: injected into the engine and its timers, so tests can run hours of
/// waiting in milliseconds.
pub type WallClock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system's wall clock.
pub fn system() -> WallClock {
    Arc::new(Utc::now)
}

/// A wall clock that starts at `start` and moves with tokio's clock, so under `tokio::time::pause()` it
/// advances exactly as far as the (auto-advanced) timers do. Call it inside a runtime.
pub fn following_tokio(start: DateTime<Utc>) -> WallClock {
    let origin = tokio::time::Instant::now();
    Arc::new(move || {
        let elapsed = TimeDelta::from_std(origin.elapsed()).unwrap_or(TimeDelta::MAX);
        after(start, elapsed)
    })
}

/// The longest palingenesis ever waits before acting on a stop (a weekly limit is 7 days; monthly extra
/// usage about 31). A stated delay beyond it is clamped.
pub const MAX_WAIT: TimeDelta = TimeDelta::days(40);

/// How far in the future a record's own timestamp may be (clock skew between machines, rounding) before
/// it is treated as wrong and replaced by the time it was read.
pub const FUTURE_TOLERANCE: TimeDelta = TimeDelta::minutes(5);

/// `n` seconds, saturating at [`TimeDelta::MAX`].
pub fn secs(n: u64) -> TimeDelta {
    i64::try_from(n)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .unwrap_or(TimeDelta::MAX)
}

/// `n` milliseconds, saturating at [`TimeDelta::MAX`].
pub fn millis(n: u64) -> TimeDelta {
    i64::try_from(n)
        .ok()
        .and_then(TimeDelta::try_milliseconds)
        .unwrap_or(TimeDelta::MAX)
}

/// `at + d`, saturating at the ends of the representable range.
pub fn after(at: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(d)
        .unwrap_or(if d < TimeDelta::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// `at - d`, saturating at the ends of the representable range.
pub fn before(at: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    at.checked_sub_signed(d)
        .unwrap_or(if d < TimeDelta::zero() {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
}

/// `at`, or `now + MAX_WAIT` when `at` is further away than that. The flag says whether it was clamped.
pub fn clamp_wait(at: DateTime<Utc>, now: DateTime<Utc>) -> (DateTime<Utc>, bool) {
    let limit = after(now, MAX_WAIT);
    if at > limit {
        (limit, true)
    } else {
        (at, false)
    }
}

/// The time from `now` until `at` as a timer delay: zero for the past, at most `cap`.
pub fn delay_until(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    cap: std::time::Duration,
) -> std::time::Duration {
    at.signed_duration_since(now)
        .to_std()
        .unwrap_or_default()
        .min(cap)
}

/// The instant a record claims, unless it lies more than [`FUTURE_TOLERANCE`] after `now` (a wrong clock,
/// a forged line): then `now`. The flag says whether it was replaced.
pub fn observed_at(claimed: DateTime<Utc>, now: DateTime<Utc>) -> (DateTime<Utc>, bool) {
    if claimed > after(now, FUTURE_TOLERANCE) {
        (now, true)
    } else {
        (claimed, false)
    }
}

/// An epoch number in whatever unit its magnitude implies: seconds up to 10^11 (year 5138), then
/// milliseconds, microseconds, nanoseconds. Negative or unrepresentable values give `None`.
pub fn epoch_instant(n: i64) -> Option<DateTime<Utc>> {
    const E11: i64 = 100_000_000_000;
    let (secs, nanos) = match n {
        ..0 => return None,
        0..E11 => (n, 0),
        E11..100_000_000_000_000 => (n / 1_000, (n % 1_000) * 1_000_000),
        100_000_000_000_000..100_000_000_000_000_000 => (n / 1_000_000, (n % 1_000_000) * 1_000),
        _ => (n / 1_000_000_000, n % 1_000_000_000),
    };
    Utc.timestamp_opt(secs, u32::try_from(nanos).ok()?).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn huge_numbers_saturate_instead_of_panicking() {
        assert_eq!(secs(u64::MAX), TimeDelta::MAX);
        assert_eq!(secs(i64::MAX as u64), TimeDelta::MAX);
        assert_eq!(millis(u64::MAX), TimeDelta::MAX);
        assert_eq!(secs(100_000_000), TimeDelta::seconds(100_000_000));
        assert_eq!(
            millis(94_608_000_000),
            TimeDelta::milliseconds(94_608_000_000)
        );
        let now = t("2026-11-24T10:00:00Z");
        assert_eq!(after(now, TimeDelta::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(after(now, TimeDelta::MIN), DateTime::<Utc>::MIN_UTC);
        assert_eq!(before(now, TimeDelta::MAX), DateTime::<Utc>::MIN_UTC);
        assert_eq!(before(now, TimeDelta::MIN), DateTime::<Utc>::MAX_UTC);
        assert_eq!(
            after(DateTime::<Utc>::MAX_UTC, secs(1)),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(after(now, secs(60)), t("2026-11-24T10:01:00Z"));
    }

    #[test]
    fn waits_beyond_the_maximum_are_clamped_and_flagged() {
        let now = t("2026-11-24T10:00:00Z");
        assert_eq!(
            clamp_wait(after(now, secs(60)), now),
            (after(now, secs(60)), false)
        );
        let (at, clamped) = clamp_wait(after(now, millis(94_608_000_000)), now);
        assert!(clamped);
        assert_eq!(at, now + MAX_WAIT);
        assert_eq!(
            clamp_wait(DateTime::<Utc>::MAX_UTC, now),
            (now + MAX_WAIT, true)
        );
    }

    #[test]
    fn timer_delays_are_never_negative_nor_above_the_cap() {
        let now = t("2026-11-24T10:00:00Z");
        let cap = std::time::Duration::from_secs(3600);
        assert_eq!(
            delay_until(before(now, secs(5)), now, cap),
            std::time::Duration::ZERO
        );
        assert_eq!(
            delay_until(after(now, secs(5)), now, cap),
            std::time::Duration::from_secs(5)
        );
        assert_eq!(delay_until(DateTime::<Utc>::MAX_UTC, now, cap), cap);
    }

    #[test]
    fn instants_from_the_future_are_replaced_by_now() {
        let now = t("2026-11-24T10:00:00Z");
        assert_eq!(observed_at(t("2099-01-01T00:00:00Z"), now), (now, true));
        let skewed = t("2026-11-24T10:04:00Z");
        assert_eq!(observed_at(skewed, now), (skewed, false));
        let past = t("2026-11-20T10:00:00Z");
        assert_eq!(observed_at(past, now), (past, false));
    }

    #[test]
    fn epoch_units_follow_the_magnitude() {
        let expect = t("2026-11-24T10:00:00Z");
        let s = expect.timestamp();
        assert_eq!(epoch_instant(s), Some(expect));
        assert_eq!(epoch_instant(s * 1_000), Some(expect));
        assert_eq!(epoch_instant(s * 1_000_000), Some(expect));
        assert_eq!(epoch_instant(s * 1_000_000_000), Some(expect));
        assert_eq!(
            epoch_instant(s * 1_000 + 250),
            Some(expect + TimeDelta::milliseconds(250))
        );
        assert_eq!(epoch_instant(-1), None);
        assert!(epoch_instant(i64::MAX).is_some());
    }
}

//! How long after an announced instant to act: in proportion to how precisely the instant is known.
//! An exact instant (a Retry-After, Codex's `resets_at`, an epoch) is acted on about a second later,
//! plus a small jitter so that several sessions do not hit the provider in the same millisecond; a
//! minute-resolution banner ("resets 4:31pm") may be up to a minute early, so it gets up to a minute.

use chrono::Duration;

use crate::config::ResumeConfig;
use crate::model::Precision;

/// The margin after an instant known to `precision`. `jitter_sample` is in -1..=1; only its size is
/// used, so the margin never shrinks below the configured floor.
pub fn margin_after(precision: Precision, r: &ResumeConfig, jitter_sample: f64) -> Duration {
    match precision {
        Precision::Exact => {
            let jitter = if r.jitter {
                (r.exact_jitter_ms as f64 * jitter_sample.clamp(-1.0, 1.0).abs()).round() as i64
            } else {
                0
            };
            Duration::milliseconds(r.exact_margin_ms as i64 + jitter)
        }
        Precision::Minute => Duration::seconds(r.reset_margin_secs as i64),
    }
}

/// "1.2s" / "60s": a margin as the plan's reason shows it.
pub fn describe(d: Duration) -> String {
    let ms = d.num_milliseconds();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_instants_get_about_a_second_and_minutes_a_minute() {
        let r = ResumeConfig::default();
        let exact = margin_after(Precision::Exact, &r, 0.0);
        assert_eq!(exact, Duration::milliseconds(1000));
        let jittered = margin_after(Precision::Exact, &r, -1.0);
        assert_eq!(jittered, Duration::milliseconds(1500));
        assert_eq!(
            margin_after(Precision::Minute, &r, 1.0),
            Duration::seconds(60)
        );
    }

    #[test]
    fn margins_follow_the_config() {
        let r = ResumeConfig {
            exact_margin_ms: 250,
            exact_jitter_ms: 0,
            reset_margin_secs: 20,
            ..ResumeConfig::default()
        };
        assert_eq!(
            margin_after(Precision::Exact, &r, 0.9),
            Duration::milliseconds(250)
        );
        assert_eq!(
            margin_after(Precision::Minute, &r, 0.9),
            Duration::seconds(20)
        );
        let no_jitter = ResumeConfig {
            jitter: false,
            ..ResumeConfig::default()
        };
        assert_eq!(
            margin_after(Precision::Exact, &no_jitter, 1.0),
            Duration::milliseconds(1000)
        );
    }

    #[test]
    fn margins_read_well() {
        assert_eq!(describe(Duration::milliseconds(1200)), "1.2s");
        assert_eq!(describe(Duration::seconds(60)), "60s");
    }
}

//! Refusals are audited, but a flood of forged requests must not flood the audit trail (and push real events
//! out of its rotation): past a number per minute they are only counted, and the count is audited once the
//! flood ebbs.

use std::time::{Duration, Instant};

/// Refusals audited one by one in any minute.
pub const PER_MINUTE: u32 = 30;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct Throttle {
    window_start: Option<Instant>,
    in_window: u32,
    suppressed: u64,
}

/// What to do with one refusal.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Audit it; `suppressed` earlier refusals went unaudited and are to be reported with it.
    Record { suppressed: u64 },
    /// Count it only.
    Suppress,
}

impl Throttle {
    pub fn judge(&mut self, now: Instant) -> Verdict {
        let fresh = self
            .window_start
            .is_none_or(|start| now.duration_since(start) >= WINDOW);
        if fresh {
            self.window_start = Some(now);
            self.in_window = 0;
        }
        if self.in_window >= PER_MINUTE {
            self.suppressed += 1;
            return Verdict::Suppress;
        }
        self.in_window += 1;
        Verdict::Record {
            suppressed: std::mem::take(&mut self.suppressed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floods_are_counted_then_reported() {
        let mut t = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..PER_MINUTE {
            assert_eq!(t.judge(t0), Verdict::Record { suppressed: 0 });
        }
        assert_eq!(t.judge(t0), Verdict::Suppress);
        assert_eq!(t.judge(t0 + Duration::from_secs(30)), Verdict::Suppress);
        assert_eq!(
            t.judge(t0 + Duration::from_secs(61)),
            Verdict::Record { suppressed: 2 }
        );
        assert_eq!(
            t.judge(t0 + Duration::from_secs(62)),
            Verdict::Record { suppressed: 0 }
        );
    }
}

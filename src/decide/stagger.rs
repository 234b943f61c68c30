//! Many sessions, one reset: sessions of one assistant (one account) waiting for the same reset are
//! resumed in a deliberate order, most recently active first, `gap` apart, instead of all in the same
//! second.

use chrono::{DateTime, Duration, Utc};

/// Two announced resets this close together are the same reset (the same banner read at different
/// seconds, or one read to the minute and one to the second).
pub const SAME_RESET: Duration = Duration::seconds(60);

/// One session waiting for a reset.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiter<K> {
    pub key: K,
    /// The reset it waits for.
    pub reset: DateTime<Utc>,
    /// When the plan, on its own, would resume it.
    pub planned: DateTime<Utc>,
    /// When it last made progress (or stopped): the more recent, the earlier it goes.
    pub last_active: DateTime<Utc>,
}

/// When each waiter of one assistant resumes: waiters whose resets are within [`SAME_RESET`] of each
/// other form one group; in a group the most recently active goes first at the group's earliest planned
/// instant (the best-known reading of their common reset), each next one `gap` later. Returns (key,
/// instant, position in its group counted from 1, group size), in resume order.
pub fn stagger<K: Clone>(
    mut waiters: Vec<Waiter<K>>,
    gap: Duration,
) -> Vec<(K, DateTime<Utc>, usize, usize)> {
    waiters.sort_by_key(|w| w.reset);
    let mut groups: Vec<Vec<Waiter<K>>> = Vec::new();
    for w in waiters {
        match groups.last_mut() {
            Some(g) if w.reset - g[0].reset <= SAME_RESET => g.push(w),
            _ => groups.push(vec![w]),
        }
    }
    let mut out = Vec::new();
    for mut group in groups {
        let start = group.iter().map(|w| w.planned).min().expect("non-empty");
        group.sort_by_key(|w| std::cmp::Reverse(w.last_active));
        let n = group.len();
        for (i, w) in group.into_iter().enumerate() {
            let at = start + gap * i as i32;
            out.push((w.key, at, i + 1, n));
        }
    }
    out.sort_by_key(|(_, at, _, _)| *at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn w(key: &'static str, reset: &str, planned: &str, active: &str) -> Waiter<&'static str> {
        Waiter {
            key,
            reset: t(reset),
            planned: t(planned),
            last_active: t(active),
        }
    }

    #[test]
    fn one_reset_most_recently_active_first_gap_apart() {
        let got = stagger(
            vec![
                w(
                    "old",
                    "2026-11-30T16:00:00Z",
                    "2026-11-30T16:01:00Z",
                    "2026-11-30T14:00:00Z",
                ),
                w(
                    "new",
                    "2026-11-30T16:00:00Z",
                    "2026-11-30T16:01:00Z",
                    "2026-11-30T15:30:00Z",
                ),
                w(
                    "mid",
                    "2026-11-30T16:00:20Z",
                    "2026-11-30T16:00:21Z",
                    "2026-11-30T15:00:00Z",
                ),
            ],
            Duration::seconds(5),
        );
        assert_eq!(
            got,
            vec![
                ("new", t("2026-11-30T16:00:21Z"), 1, 3),
                ("mid", t("2026-11-30T16:00:26Z"), 2, 3),
                ("old", t("2026-11-30T16:00:31Z"), 3, 3),
            ]
        );
    }

    #[test]
    fn different_resets_are_not_held_up_by_each_other() {
        let got = stagger(
            vec![
                w(
                    "a",
                    "2026-11-30T16:00:00Z",
                    "2026-11-30T16:00:01Z",
                    "2026-11-30T15:00:00Z",
                ),
                w(
                    "b",
                    "2026-11-30T18:00:00Z",
                    "2026-11-30T18:00:01Z",
                    "2026-11-30T15:30:00Z",
                ),
            ],
            Duration::seconds(30),
        );
        assert_eq!(
            got,
            vec![
                ("a", t("2026-11-30T16:00:01Z"), 1, 1),
                ("b", t("2026-11-30T18:00:01Z"), 1, 1),
            ]
        );
    }

    #[test]
    fn no_gap_keeps_the_plans() {
        let got = stagger(
            vec![
                w(
                    "a",
                    "2026-11-30T16:00:00Z",
                    "2026-11-30T16:00:01Z",
                    "2026-11-30T15:00:00Z",
                ),
                w(
                    "b",
                    "2026-11-30T16:00:00Z",
                    "2026-11-30T16:00:01Z",
                    "2026-11-30T15:30:00Z",
                ),
            ],
            Duration::zero(),
        );
        assert!(
            got.iter()
                .all(|(_, at, _, _)| *at == t("2026-11-30T16:00:01Z"))
        );
        assert_eq!(got[0].0, "b");
    }
}

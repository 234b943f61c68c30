//! Deadlines on tokio's timer wheel: one per key (a session, a followed file) at most. No deadline, no
//! wake-up.
//!
//! Deadlines are wall-clock instants. The timer wheel runs on the monotonic clock, which on Linux stops
//! while the machine is suspended and ignores clock steps (NTP, a manual change, time-zone travel done
//! wrong), so the wheel alone would fire a resume due at 03:00 at 04:00 on a laptop that slept an hour.
//! Two checks keep the wall clock the truth:
//! - while any deadline is armed, a watchdog looks at the wall clock every [`WATCH_PERIOD`] and fires what
//!   is overdue (after a suspend or a forward step, within about a second), each key once;
//! - a deadline the wheel reports before its wall-clock instant (the clock was stepped back) is re-armed
//!   for the time that is really left instead of firing.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use tokio::time::{Interval, MissedTickBehavior};
use tokio_util::time::{DelayQueue, delay_queue};

use crate::model::SessionKey;

/// The longest single timer: well inside what tokio's timer wheel accepts (about 2 years), which panics
/// beyond.
pub const MAX_TIMER: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// How often the wall clock is checked while a deadline is armed.
pub const WATCH_PERIOD: Duration = Duration::from_secs(1);

/// A deadline the wheel reports this little before its wall-clock instant fires anyway (timer slack).
const EARLY_SLACK: TimeDelta = TimeDelta::milliseconds(50);

pub use crate::clock::WallClock;

pub struct Timers<K = SessionKey> {
    queue: DelayQueue<K>,
    keys: HashMap<K, (delay_queue::Key, DateTime<Utc>)>,
    wall: WallClock,
    watchdog: Option<Interval>,
}

impl<K> Default for Timers<K> {
    fn default() -> Self {
        Timers::with_wall_clock(crate::clock::system())
    }
}

impl<K> Timers<K> {
    /// Timers that read the wall clock from `wall`.
    pub fn with_wall_clock(wall: WallClock) -> Self {
        Timers {
            queue: DelayQueue::new(),
            keys: HashMap::new(),
            wall,
            watchdog: None,
        }
    }
}

impl<K: Clone + Eq + Hash> Timers<K> {
    /// Set (or move) `key`'s deadline to `at` (wall clock; past instants fire at once). A deadline beyond
    /// [`MAX_TIMER`] fires at that bound instead (the timer wheel cannot hold more); the owner checks its
    /// deadline when woken and arms again.
    pub fn arm(&mut self, key: K, at: DateTime<Utc>) {
        let delay = crate::clock::delay_until(at, (self.wall)(), MAX_TIMER);
        if let Some((k, when)) = self.keys.get_mut(&key) {
            self.queue.reset(k, delay);
            *when = at;
        } else {
            let k = self.queue.insert(key.clone(), delay);
            self.keys.insert(key, (k, at));
        }
    }

    pub fn disarm(&mut self, key: &K) {
        if let Some((k, _)) = self.keys.remove(key) {
            self.queue.remove(&k);
        }
    }

    /// The next key whose deadline passed on the wall clock. Pending forever when there are no
    /// deadlines. Cancel-safe: a key is handed out once, by the call that completes.
    pub async fn next_expired(&mut self) -> Option<K> {
        loop {
            if self.keys.is_empty() {
                self.watchdog = None;
                return std::future::pending().await;
            }
            let watchdog = self.watchdog.get_or_insert_with(|| {
                let mut i = tokio::time::interval(WATCH_PERIOD);
                i.set_missed_tick_behavior(MissedTickBehavior::Delay);
                i
            });
            tokio::select! {
                expired = self.queue.next() => {
                    let key = expired?.into_inner();
                    let Some((_, at)) = self.keys.remove(&key) else { continue };
                    if at > (self.wall)() + EARLY_SLACK {
                        // The clock was stepped back: wait for the wall-clock instant.
                        self.arm(key, at);
                        continue;
                    }
                    return Some(key);
                }
                _ = watchdog.tick() => {
                    if let Some(key) = self.overdue() {
                        self.disarm(&key);
                        return Some(key);
                    }
                }
            }
        }
    }

    /// The armed key whose wall-clock deadline passed longest ago.
    fn overdue(&self) -> Option<K> {
        let now = (self.wall)();
        self.keys
            .iter()
            .filter(|(_, (_, at))| *at <= now)
            .min_by_key(|(_, (_, at))| *at)
            .map(|(k, _)| k.clone())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests;

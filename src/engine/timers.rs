//! The engine's deadlines: one per session at most, on tokio's timer wheel. No deadline, no wake-up.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio_util::time::{DelayQueue, delay_queue};

use crate::model::SessionKey;

#[derive(Default)]
pub struct Timers {
    queue: DelayQueue<SessionKey>,
    keys: HashMap<SessionKey, delay_queue::Key>,
}

impl Timers {
    /// Set (or move) `session`'s deadline to `at` (wall clock; past instants fire at once).
    pub fn arm(&mut self, session: SessionKey, at: DateTime<Utc>) {
        let delay = (at - Utc::now()).to_std().unwrap_or_default();
        if let Some(k) = self.keys.get(&session) {
            self.queue.reset(k, delay);
        } else {
            let k = self.queue.insert(session.clone(), delay);
            self.keys.insert(session, k);
        }
    }

    pub fn disarm(&mut self, session: &SessionKey) {
        if let Some(k) = self.keys.remove(session) {
            self.queue.remove(&k);
        }
    }

    /// The next session whose deadline passed. Pending forever when there are no deadlines.
    pub async fn next_expired(&mut self) -> Option<SessionKey> {
        if self.queue.is_empty() {
            return std::future::pending().await;
        }
        let expired = self.queue.next().await?;
        let key = expired.into_inner();
        self.keys.remove(&key);
        Some(key)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

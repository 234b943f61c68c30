//! Deadlines on tokio's timer wheel: one per key (a session, a followed file) at most. No deadline, no
//! wake-up.

use std::collections::HashMap;
use std::hash::Hash;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio_util::time::{DelayQueue, delay_queue};

use crate::model::SessionKey;

pub struct Timers<K = SessionKey> {
    queue: DelayQueue<K>,
    keys: HashMap<K, delay_queue::Key>,
}

impl<K> Default for Timers<K> {
    fn default() -> Self {
        Timers {
            queue: DelayQueue::new(),
            keys: HashMap::new(),
        }
    }
}

impl<K: Clone + Eq + Hash> Timers<K> {
    /// Set (or move) `key`'s deadline to `at` (wall clock; past instants fire at once).
    pub fn arm(&mut self, key: K, at: DateTime<Utc>) {
        let delay = (at - Utc::now()).to_std().unwrap_or_default();
        if let Some(k) = self.keys.get(&key) {
            self.queue.reset(k, delay);
        } else {
            let k = self.queue.insert(key.clone(), delay);
            self.keys.insert(key, k);
        }
    }

    pub fn disarm(&mut self, key: &K) {
        if let Some(k) = self.keys.remove(key) {
            self.queue.remove(&k);
        }
    }

    /// The next key whose deadline passed. Pending forever when there are no deadlines.
    pub async fn next_expired(&mut self) -> Option<K> {
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

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

//! A bounded set of live connections. When it is full, a newcomer takes the place of the oldest connection
//! that has not completed its handshake (an idle or stuck client), so clients that never speak cannot lock
//! the CLI out; only when every slot holds a greeted client is the newcomer refused.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// Connections one listener serves at once.
pub const MAX_CONNECTIONS: usize = 256;

#[derive(Clone)]
pub struct Slots {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    cap: usize,
    next_id: u64,
    live: BTreeMap<u64, Live>,
}

struct Live {
    greeted: bool,
    evict: CancellationToken,
}

/// A connection's place; freed on drop.
pub struct Slot {
    slots: Slots,
    id: u64,
    /// Cancelled when a newcomer needs the place.
    pub evicted: CancellationToken,
}

impl Slots {
    pub fn new(cap: usize) -> Slots {
        Slots {
            inner: Arc::new(Mutex::new(Inner {
                cap,
                next_id: 0,
                live: BTreeMap::new(),
            })),
        }
    }

    /// A place for a new connection, evicting the oldest one not yet greeted if need be. `None` when all
    /// places hold greeted connections.
    pub fn admit(&self) -> Option<Slot> {
        let mut inner = self.lock();
        if inner.live.len() >= inner.cap {
            let oldest = inner
                .live
                .iter()
                .find(|(_, l)| !l.greeted)
                .map(|(id, _)| *id)?;
            if let Some(gone) = inner.live.remove(&oldest) {
                gone.evict.cancel();
            }
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let evicted = CancellationToken::new();
        inner.live.insert(
            id,
            Live {
                greeted: false,
                evict: evicted.clone(),
            },
        );
        Some(Slot {
            slots: self.clone(),
            id,
            evicted,
        })
    }

    pub fn len(&self) -> usize {
        self.lock().live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Slot {
    /// The client completed its handshake: it is no longer first in line for eviction.
    pub fn greeted(&self) {
        if let Some(l) = self.slots.lock().live.get_mut(&self.id) {
            l.greeted = true;
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().live.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newcomers_evict_the_oldest_silent_connection_and_greeted_ones_stay() {
        let slots = Slots::new(2);
        let a = slots.admit().unwrap();
        let b = slots.admit().unwrap();
        a.greeted();
        let c = slots.admit().expect("b was silent: it makes room");
        assert!(b.evicted.is_cancelled());
        assert!(!a.evicted.is_cancelled());
        drop(b);
        assert_eq!(slots.len(), 2);
        c.greeted();
        assert!(
            slots.admit().is_none(),
            "every place holds a greeted client"
        );
        drop(c);
        assert!(slots.admit().is_some());
    }
}

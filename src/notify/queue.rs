//! A channel's outbox: bounded, dropping the oldest message when full, so a slow or dead channel never
//! holds up the audit stream (and through it the engine).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::message::Message;

pub struct Outbox {
    items: Mutex<VecDeque<Message>>,
    capacity: usize,
    ready: Notify,
}

impl Outbox {
    pub fn new(capacity: usize) -> Self {
        Outbox {
            items: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
            ready: Notify::new(),
        }
    }

    /// Add a message; returns the one dropped to make room, if any. Never waits.
    pub fn push(&self, msg: Message) -> Option<Message> {
        let dropped = {
            let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
            let dropped = (items.len() >= self.capacity)
                .then(|| items.pop_front())
                .flatten();
            items.push_back(msg);
            dropped
        };
        self.ready.notify_one();
        dropped
    }

    /// The oldest message, waiting for one.
    pub async fn pop(&self) -> Message {
        loop {
            let notified = self.ready.notified();
            if let Some(m) = self
                .items
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front()
            {
                return m;
            }
            notified.await;
        }
    }
}

/// At most `max` sends in any hour.
pub struct HourlyLimit {
    max: Option<u32>,
    sent: VecDeque<Instant>,
}

impl HourlyLimit {
    pub fn new(max: Option<u32>) -> Self {
        HourlyLimit {
            max,
            sent: VecDeque::new(),
        }
    }

    /// Whether one more may be sent now; counts it if so.
    pub fn admit(&mut self, now: Instant) -> bool {
        let Some(max) = self.max else {
            return true;
        };
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(3600))
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= max as usize {
            return false;
        }
        self.sent.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(n: u32) -> Message {
        Message {
            title: n.to_string(),
            body: String::new(),
            kind: "event",
            json: serde_json::Value::Null,
            buttons_for: None,
            event: None,
            session: None,
        }
    }

    #[tokio::test]
    async fn full_outboxes_drop_the_oldest() {
        let q = Outbox::new(2);
        assert!(q.push(msg(1)).is_none());
        assert!(q.push(msg(2)).is_none());
        assert_eq!(q.push(msg(3)).unwrap().title, "1");
        assert_eq!(q.pop().await.title, "2");
        assert_eq!(q.pop().await.title, "3");
    }

    #[test]
    fn hourly_limits_slide() {
        let mut l = HourlyLimit::new(Some(2));
        let t0 = Instant::now();
        assert!(l.admit(t0) && l.admit(t0));
        assert!(!l.admit(t0 + Duration::from_secs(60)));
        assert!(l.admit(t0 + Duration::from_secs(3601)));
        assert!(HourlyLimit::new(None).admit(t0));
    }
}

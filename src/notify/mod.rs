//! Telling people: a subscriber of the audit trail that sends selected events to webhook, ntfy, Slack,
//! Discord and Telegram.
//!
//! Nothing here can hold up the engine: the dispatcher only moves events from the audit broadcast into one
//! bounded [`queue::Outbox`] per channel (dropping the oldest message when full, counted and audited), and
//! each channel has its own sender task that applies the channel's hourly limit and retries with backoff,
//! honouring `Retry-After` ([`deliver`]). Every delivery, failure and drop is audited as a `Notification`
//! event; URLs and tokens never reach the audit trail or the log. With `digest_minutes` the events are
//! collected and sent as one message per period; with `daily_summary_at` a summary of the day's work is sent
//! once a day.

pub mod channel;
pub mod deliver;
mod discord;
pub mod message;
mod ntfy;
pub mod queue;
mod slack;
pub mod summary;
mod telegram;
pub mod webhook;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::warn;

pub use channel::{Channel, channels};
pub use message::{Message, summary};

use crate::audit::{AuditEvent, AuditWriter, EventType};
use crate::config::Config;
use deliver::Retry;
use queue::{HourlyLimit, Outbox};
use summary::DailyCounts;

/// Events one digest holds at most (the oldest give way).
const MAX_DIGEST_EVENTS: usize = 1000;

/// When the next daily summary is due, from now.
pub type SummaryClock = Arc<dyn Fn() -> Duration + Send + Sync>;

/// How the notifier behaves, from `[notifications]` (tests shorten the periods).
pub struct Options {
    pub timeout: Duration,
    pub retry: Retry,
    pub queue_capacity: usize,
    /// Collect events and send them together this often (`minutes` names the period in the message).
    pub digest: Option<(Duration, u64)>,
    pub summary: Option<SummaryClock>,
}

impl Options {
    pub fn from_config(cfg: &Config) -> Options {
        let n = &cfg.notifications;
        let summary = n.daily_summary_at.clone().map(|at| {
            Arc::new(move || {
                let now = chrono::Local::now();
                summary::next_at(now, &at)
                    .and_then(|t| (t - now).to_std().ok())
                    .unwrap_or(Duration::from_secs(24 * 3600))
            }) as SummaryClock
        });
        Options {
            timeout: Duration::from_secs(n.timeout_secs.max(1)),
            retry: Retry {
                max_attempts: n.max_attempts,
                base: Duration::from_secs(n.retry_base_secs.max(1)),
            },
            queue_capacity: n.queue_capacity,
            digest: (n.digest_minutes > 0)
                .then(|| (Duration::from_secs(n.digest_minutes * 60), n.digest_minutes)),
            summary,
        }
    }
}

/// Send every selected event until `stop`. Does nothing (and costs nothing) without channels.
pub fn spawn(
    cfg: &Config,
    audit: &AuditWriter,
    tracker: &tokio_util::task::TaskTracker,
    stop: CancellationToken,
) {
    if !cfg.notifications.enabled {
        return;
    }
    start(
        channels(cfg),
        Options::from_config(cfg),
        audit,
        tracker,
        stop,
    );
}

/// Run the notifier for `chans`.
pub fn start(
    chans: Vec<Channel>,
    opts: Options,
    audit: &AuditWriter,
    tracker: &tokio_util::task::TaskTracker,
    stop: CancellationToken,
) {
    if chans.is_empty() {
        return;
    }
    let client = match reqwest::Client::builder().timeout(opts.timeout).build() {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "notifications disabled: HTTP client unavailable");
            return;
        }
    };
    let retry = Arc::new(opts.retry);
    let mut outboxes = Vec::new();
    for ch in chans {
        let outbox = Arc::new(Outbox::new(opts.queue_capacity));
        outboxes.push((ch.clone(), outbox.clone()));
        crate::tasks::spawn_tracked(
            tracker,
            send_loop(
                ch,
                outbox,
                client.clone(),
                retry.clone(),
                audit.clone(),
                stop.clone(),
            ),
        );
    }
    let dispatcher = Dispatcher {
        outboxes,
        audit: audit.clone(),
        dropped: 0,
    };
    crate::tasks::spawn_tracked(
        tracker,
        dispatcher.run(audit.subscribe(), opts.digest, opts.summary, stop),
    );
}

struct Dispatcher {
    outboxes: Vec<(Channel, Arc<Outbox>)>,
    audit: AuditWriter,
    /// Messages dropped because an outbox was full, since the daemon started.
    dropped: u64,
}

impl Dispatcher {
    async fn run(
        mut self,
        mut rx: broadcast::Receiver<std::sync::Arc<AuditEvent>>,
        digest: Option<(Duration, u64)>,
        summary: Option<SummaryClock>,
        stop: CancellationToken,
    ) {
        let mut pending: Vec<Vec<AuditEvent>> = vec![Vec::new(); self.outboxes.len()];
        let mut digest_timer = digest
            .map(|(every, _)| tokio::time::interval_at(tokio::time::Instant::now() + every, every));
        let mut counts = DailyCounts::default();
        let next_summary = || {
            summary
                .as_ref()
                .map(|clock| tokio::time::Instant::now() + clock())
        };
        let mut summary_due = next_summary();
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                got = rx.recv() => match got {
                    Ok(e) => {
                        if e.event == EventType::Notification {
                            continue;
                        }
                        counts.count(&e);
                        for (i, (ch, _)) in self.outboxes.iter().enumerate() {
                            if ch.wants(e.event) {
                                if pending[i].len() >= MAX_DIGEST_EVENTS {
                                    pending[i].remove(0);
                                }
                                pending[i].push(AuditEvent::clone(&e));
                            }
                        }
                        if digest.is_none() {
                            self.flush(&mut pending, 0);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        warn!(missed = n, "notifications fell behind; some events were not sent");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = tick(&mut digest_timer) => {
                    self.flush(&mut pending, digest.map_or(0, |(_, m)| m));
                }
                _ = until(summary_due) => {
                    let msg = std::mem::take(&mut counts).message();
                    for i in 0..self.outboxes.len() {
                        self.enqueue(i, msg.clone());
                    }
                    summary_due = next_summary();
                }
            }
        }
    }

    /// Send what is pending: each event alone, or (with a digest period) all of a channel's at once.
    fn flush(&mut self, pending: &mut [Vec<AuditEvent>], digest_minutes: u64) {
        for (i, events) in pending.iter_mut().enumerate() {
            let events = std::mem::take(events);
            if events.is_empty() {
                continue;
            }
            if digest_minutes > 0 {
                self.enqueue(i, Message::digest(&events, digest_minutes));
            } else {
                for e in &events {
                    self.enqueue(i, Message::for_event(e));
                }
            }
        }
    }

    fn enqueue(&mut self, i: usize, msg: Message) {
        let (ch, outbox) = &self.outboxes[i];
        if let Some(old) = outbox.push(msg) {
            self.dropped += 1;
            warn!(
                channel = ch.name(),
                "notification queue full; dropped the oldest message"
            );
            self.audit.record(
                record(ch, &old)
                    .outcome("dropped")
                    .reason("queue_full")
                    .metadata(serde_json::json!({
                        "for": old.event.map_or(old.kind, EventType::as_str),
                        "dropped_total": self.dropped,
                    })),
            );
        }
    }
}

async fn tick(timer: &mut Option<tokio::time::Interval>) {
    match timer {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn record(ch: &Channel, msg: &Message) -> AuditEvent {
    let mut rec = AuditEvent::new(EventType::Notification).action(ch.name());
    if let Some(s) = &msg.session {
        rec = rec.session(s.clone());
    }
    rec
}

async fn send_loop(
    ch: Channel,
    outbox: Arc<Outbox>,
    client: reqwest::Client,
    retry: Arc<Retry>,
    audit: AuditWriter,
    stop: CancellationToken,
) {
    let mut limit = HourlyLimit::new(ch.max_per_hour);
    let mut rate_dropped: u64 = 0;
    loop {
        let msg = tokio::select! {
            _ = stop.cancelled() => break,
            m = outbox.pop() => m,
        };
        let about = msg.event.map_or(msg.kind, EventType::as_str);
        if !limit.admit(Instant::now()) {
            rate_dropped += 1;
            audit.record(
                record(&ch, &msg)
                    .outcome("dropped")
                    .reason("rate_limited")
                    .metadata(serde_json::json!({ "for": about, "dropped_total": rate_dropped })),
            );
            continue;
        }
        let d = deliver::deliver(&client, &ch, &msg, &retry, &stop).await;
        let rec =
            record(&ch, &msg).metadata(serde_json::json!({ "for": about, "attempts": d.attempts }));
        audit.record(match d.result {
            Ok(()) => rec.outcome("sent"),
            Err(why) => {
                warn!(channel = ch.name(), %why, attempts = d.attempts, "notification not delivered");
                rec.outcome("failed").message(why)
            }
        });
    }
}

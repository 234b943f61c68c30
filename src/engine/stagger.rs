//! Many sessions, one reset: the sessions of one assistant waiting for the same usage-limit reset are
//! spread out, most recently active first, `[resume] stagger_secs` apart (see [`crate::decide::stagger`]).

use chrono::Duration;
use tracing::info;

use super::Engine;
use super::session::Phase;
use crate::audit::{AuditEvent, EventType};
use crate::decide::stagger::{Waiter, stagger};
use crate::model::{Assistant, StopReason};

/// What a staggered plan's reason says about its place; replaced, not repeated, when the order changes.
const ORDER_NOTE: &str = " · order: ";

impl Engine {
    /// Re-spread `assistant`'s sessions waiting for a usage-limit reset; re-arms and records those that
    /// move.
    pub(super) fn stagger_waiting(&mut self, assistant: Assistant) {
        let gap = Duration::seconds(self.config.resume.stagger_secs as i64);
        let waiters: Vec<_> = self
            .sessions
            .values()
            .filter(|s| s.key.assistant == assistant)
            .filter_map(|s| {
                let Phase::Waiting { until, .. } = &s.phase else {
                    return None;
                };
                let stop = s.last_stop.as_ref()?;
                let StopReason::UsageLimit {
                    resets_at: Some(reset),
                    ..
                } = stop.reason
                else {
                    return None;
                };
                Some(Waiter {
                    key: s.key.clone(),
                    reset,
                    planned: *until,
                    last_active: s.last_progress_at.map_or(stop.at, |p| p.max(stop.at)),
                })
            })
            .collect();
        if waiters.len() < 2 {
            return;
        }
        for (key, at, position, of) in stagger(waiters, gap) {
            if of < 2 {
                continue;
            }
            let Some(sess) = self.sessions.get_mut(&key) else {
                continue;
            };
            let Phase::Waiting { until, why, .. } = &mut sess.phase else {
                continue;
            };
            let base = why.split(ORDER_NOTE).next().unwrap_or_default().to_owned();
            let note = format!(
                "{base}{ORDER_NOTE}{position} of {of} sessions waiting for this reset (most recently active first, {}s apart)",
                gap.num_seconds()
            );
            let moved = *until != at;
            if !moved && *why == note {
                continue;
            }
            *until = at;
            *why = note.clone();
            self.timers.arm(key.clone(), at);
            self.dirty = true;
            if moved {
                info!(session = %key, %at, position, of, "resume staggered");
                self.record(
                    AuditEvent::new(EventType::ResumeScheduled)
                        .session(key.id.clone())
                        .assistant(key.assistant)
                        .message(note)
                        .metadata(serde_json::json!({
                            "at": at, "position": position, "of": of, "staggered": true
                        })),
                );
            }
        }
    }
}

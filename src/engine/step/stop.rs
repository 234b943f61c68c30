//! Observations: progress verifies a resume or cancels a plan, a retrying agent is left alone, and stops start
//! (or continue) an episode; the same stop seen twice (hook and transcript) is one decision.

use chrono::{DateTime, Utc};
use tracing::{debug, info, warn};

use super::{Effect, Machine};
use crate::audit::EventType;
use crate::engine::session::{Phase, StopRecord};
use crate::model::{Origin, StopReason};

/// Two reports of a stop this close together, with no progress between, are one stop.
const SAME_STOP_WINDOW: i64 = 90;

impl Machine<'_> {
    pub(super) fn progress(&mut self, at: DateTime<Utc>) {
        // Progress made before the stop a plan waits on (or an attempt resumes from), read late (a hook
        // reported the stop before the transcript's last lines were read, and a busy machine read them after
        // the attempt started): old news, neither the session going on by itself nor the attempt working.
        let before_the_stop = self.s.last_stop.as_ref().is_some_and(|stop| at <= stop.at);
        if before_the_stop && matches!(self.s.phase, Phase::Waiting { .. } | Phase::Resuming { .. })
        {
            if self.s.last_progress_at.is_none_or(|p| p < at) {
                self.s.last_progress_at = Some(at);
            }
            debug!(session = %self.s.key, %at, "progress from before the stop; the plan stands");
            return;
        }
        self.s.last_progress_at = Some(at);
        let previous = std::mem::replace(&mut self.s.phase, Phase::Running);
        self.s.attempts = 0;
        match previous {
            Phase::Resuming { action, .. } => {
                self.fx.push(Effect::Disarm);
                self.fx.push(Effect::ForgetAttempt);
                info!(session = %self.s.key, "resume verified: the session made progress");
                let ev = self
                    .event(EventType::ResumeCompleted)
                    .action(action.as_str())
                    .outcome("verified");
                self.record(ev);
            }
            Phase::Waiting { .. } => {
                self.fx.push(Effect::Disarm);
                let ev = self
                    .event(EventType::ResumeCancelled)
                    .message("the session made progress on its own".to_string());
                self.record(ev);
            }
            Phase::HandedOff { .. } => self.fx.push(Effect::Disarm),
            Phase::SelfContinuing { .. } => {
                self.fx.push(Effect::Disarm);
                info!(session = %self.s.key, "the assistant continued by itself");
                let ev = self
                    .event(EventType::ResumeCancelled)
                    .outcome("self_continued")
                    .message("the assistant continued by itself".to_string());
                self.record(ev);
            }
            _ => {}
        }
    }

    /// The agent says it is retrying by itself: it must not be touched meanwhile.
    pub(super) fn retrying(&mut self, next: Option<DateTime<Utc>>) {
        let grace = crate::clock::secs(self.policy.config.resume.verify_timeout_secs);
        let next = next.map(|n| {
            let (n, clamped) = crate::clock::clamp_wait(n, self.now);
            if clamped {
                warn!(session = %self.s.key, "the agent announces its retry more than {} days ahead; waiting at most that", crate::clock::MAX_WAIT.num_days());
            }
            n
        });
        // The resumed turn reached the provider and the agent retries it by itself: the attempt has not
        // failed; give it until the agent's next try plus the usual verification time.
        if let (Phase::Resuming { verify_by, .. }, Some(next)) = (&mut self.s.phase, next)
            && crate::clock::after(next, grace) > *verify_by
        {
            *verify_by = crate::clock::after(next, grace);
            let until = *verify_by;
            self.fx.push(Effect::Arm(until));
            debug!(session = %self.s.key, %until, "the agent retries the resumed turn itself; verification extended");
            return;
        }
        if let Phase::Waiting { .. } = self.s.phase {
            self.s.phase = Phase::Running;
            self.fx.push(Effect::Disarm);
            let ev = self
                .event(EventType::ResumeCancelled)
                .message("the agent is retrying on its own".to_string())
                .metadata(serde_json::json!({ "next": next }));
            self.record(ev);
        }
    }

    pub(super) fn stopped(
        &mut self,
        reason: StopReason,
        evidence: String,
        at: DateTime<Utc>,
        origin: Origin,
    ) {
        if reason == StopReason::UserExit {
            self.user_exit(evidence, at, origin);
            return;
        }
        let key = self.s.key.clone();
        let m = &self.policy.config.monitoring;
        // A stop found at start-up in a file nobody followed is news for longer than a live one.
        let fresh_secs = match origin {
            Origin::CatchUp => m.catch_up_secs.max(m.freshness_secs),
            _ => m.freshness_secs,
        };
        let freshness = crate::clock::secs(fresh_secs);
        let record = StopRecord {
            reason: reason.clone(),
            at,
            evidence: evidence.clone(),
        };

        // While its work is being handed to another assistant, this session runs no turn: any stop reported
        // for it is the one being handed off, seen again (a hook arriving after the transcript).
        if let Phase::Resuming {
            action: crate::decide::Action::HandOff { to },
            ..
        } = self.s.phase
            && to != key.assistant
        {
            debug!(session = %key, ?origin, "a stop of a session being handed off; already handled");
            return;
        }
        // Two channels can report the stop that started this episode, the second only after the resume
        // began; a stop from before the attempt started cannot be the resumed turn's.
        if let Phase::Resuming { started_at, .. } = self.s.phase
            && at < started_at
        {
            debug!(session = %key, ?origin, "a stop from before the resume started; already handled");
            return;
        }
        let finished = |r: &StopReason| matches!(r, StopReason::Completed | StopReason::UserExit);
        // A Done session only repeats a finishing stop (e.g. SessionEnd seen twice); any error after it
        // belongs to a new turn.
        let open_phase = match self.s.phase {
            Phase::Waiting { .. }
            | Phase::Stopped { .. }
            | Phase::Failed { .. }
            | Phase::HandedOff { .. }
            | Phase::SelfContinuing { .. } => true,
            Phase::Done { .. } => finished(&reason),
            Phase::Running | Phase::Resuming { .. } => false,
        };
        let same_episode = open_phase
            && self.s.last_stop.as_ref().is_some_and(|prev| {
                (prev.at - at).num_seconds().abs() <= SAME_STOP_WINDOW
                    && (finished(&reason) || !finished(&prev.reason))
            });
        if same_episode {
            let prev = self.s.last_stop.as_ref().expect("checked").reason.clone();
            if more_informative(&reason, &prev) {
                debug!(session = %key, ?origin, "same stop reported again with more detail; re-deciding");
                self.s.last_stop = Some(record);
                if matches!(self.s.phase, Phase::Waiting { .. }) {
                    self.redecide(&reason);
                }
            } else {
                debug!(session = %key, ?origin, "same stop reported again; already handled");
            }
            return;
        }

        // The stop already handled, reported late by a second channel after the episode moved on (resumed,
        // verified, replaced by a new session): nothing new.
        if self.s.last_stop.as_ref().is_some_and(|prev| at <= prev.at) {
            debug!(session = %key, ?origin, "a stop no newer than the one already handled; ignored");
            return;
        }
        let was_resuming = matches!(self.s.phase, Phase::Resuming { .. });
        if reason == StopReason::Completed {
            // A finished turn is not a problem: after a resume it is the proof that the resume worked.
            if was_resuming {
                self.progress(at);
            }
            self.s.phase = Phase::Done {
                why: "the turn completed".into(),
            };
            self.fx.push(Effect::Disarm);
            let ev = self.event(EventType::SessionDone).reason(reason.label());
            self.record(ev);
            return;
        }
        self.s.last_stop = Some(record);
        let ev = self
            .event(EventType::StopDetected)
            .reason(reason.label())
            .message(truncate(&evidence, 500))
            .metadata(serde_json::json!({ "origin": origin, "at": at, "detail": reason }));
        self.record(ev);
        info!(session = %key, reason = reason.label(), ?origin, "stop detected");

        if was_resuming {
            self.attempt_failed(&format!(
                "the resumed turn stopped again ({})",
                reason.label()
            ));
            return;
        }
        if self.now - at > freshness {
            self.s.phase = Phase::Stopped {
                why: format!("stale stop from {at}; older than the freshness window, not acted on"),
            };
            return;
        }
        self.redecide(&reason);
    }

    /// The user ended the session: whatever was planned is cancelled, and it is never resumed.
    fn user_exit(&mut self, evidence: String, at: DateTime<Utc>, origin: Origin) {
        if matches!(self.s.phase, Phase::Done { .. }) {
            return;
        }
        let pending = matches!(self.s.phase, Phase::Waiting { .. });
        self.s.phase = Phase::Done {
            why: "the user ended the session".into(),
        };
        self.s.last_stop = Some(StopRecord {
            reason: StopReason::UserExit,
            at,
            evidence,
        });
        self.fx.push(Effect::Disarm);
        self.fx.push(Effect::CancelAttempt);
        if pending {
            let ev = self
                .event(EventType::ResumeCancelled)
                .message("the user ended the session".to_string());
            self.record(ev);
        }
        info!(session = %self.s.key, ?origin, "the user ended the session; it will not be resumed");
        let ev = self
            .event(EventType::SessionDone)
            .reason(StopReason::UserExit.label());
        self.record(ev);
    }
}
/// Whether `new` carries information `old` lacked (a reset instant, a retry-after, a precise cause), or a
/// later reset for the same limit (Codex's rollout has the exact second where its message rounds down to
/// the minute; waiting the longer of the two never resumes too early).
fn more_informative(new: &StopReason, old: &StopReason) -> bool {
    use crate::model::Precision::{Exact, Minute};
    match (new, old) {
        // The same reset, once to the minute (a banner) and once to the second: the exact one wins.
        (
            StopReason::UsageLimit {
                resets_at: Some(new),
                precision: new_precision,
                ..
            },
            StopReason::UsageLimit {
                resets_at: Some(old),
                precision: old_precision,
                ..
            },
        ) if new_precision != old_precision
            && (*new - *old).abs() <= chrono::TimeDelta::seconds(60) =>
        {
            matches!((new_precision, old_precision), (Exact, Minute))
        }
        (
            StopReason::UsageLimit {
                resets_at: Some(new),
                ..
            },
            StopReason::UsageLimit {
                resets_at: Some(old),
                ..
            },
        ) => new > old,
        (
            StopReason::UsageLimit {
                resets_at: Some(_), ..
            },
            StopReason::UsageLimit {
                resets_at: None, ..
            },
        ) => true,
        (
            StopReason::UsageLimit {
                resets_at: Some(_), ..
            },
            StopReason::RateLimit { .. },
        ) => true,
        (
            StopReason::RateLimit {
                retry_after_secs: Some(_),
            },
            StopReason::RateLimit {
                retry_after_secs: None,
            },
        ) => true,
        (StopReason::Unknown, _) | (StopReason::Completed, _) => false,
        (_, StopReason::Unknown) => true,
        _ => false,
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UsageWindow;

    fn usage(at: Option<&str>) -> StopReason {
        StopReason::UsageLimit {
            resets_at: at.map(|a| a.parse().unwrap()),
            window: UsageWindow::Session,
            precision: crate::model::Precision::Minute,
        }
    }

    #[test]
    fn a_later_or_newly_known_reset_is_more_informative() {
        let minute = usage(Some("2026-11-24T01:51:00Z"));
        let exact = usage(Some("2026-11-24T01:51:54Z"));
        assert!(more_informative(&exact, &minute));
        assert!(!more_informative(&minute, &exact));
        assert!(!more_informative(&exact, &exact));
        assert!(more_informative(&minute, &usage(None)));
        assert!(!more_informative(&usage(None), &minute));
        assert!(!more_informative(&StopReason::Completed, &minute));
    }

    #[test]
    fn the_exact_reading_of_the_same_reset_wins_over_the_banner() {
        let exact = |at: &str| StopReason::UsageLimit {
            resets_at: Some(at.parse().unwrap()),
            window: UsageWindow::Session,
            precision: crate::model::Precision::Exact,
        };
        // The banner rounded up to 1:52; the rollout knows 1:51:54.
        let banner = usage(Some("2026-11-24T01:52:00Z"));
        assert!(more_informative(&exact("2026-11-24T01:51:54Z"), &banner));
        assert!(!more_informative(&banner, &exact("2026-11-24T01:51:54Z")));
        // A reset an hour later is news, however it is known.
        assert!(more_informative(
            &usage(Some("2026-11-24T02:52:00Z")),
            &exact("2026-11-24T01:51:54Z")
        ));
    }
}

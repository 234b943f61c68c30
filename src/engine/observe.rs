//! Applying what sources observed: progress verifies resumes, stops start (or continue) an episode,
//! and the same stop seen twice (hook and transcript) is one decision.

use chrono::{DateTime, Utc};
use tracing::{debug, info, warn};

use super::Engine;
use super::session::{Phase, StopRecord, TrackedSession};
use crate::audit::EventType;
use crate::model::{Observation, Origin, SessionKey, Signal, StopReason};

/// Two reports of a stop this close together, with no progress between, are one stop.
const SAME_STOP_WINDOW: i64 = 90;

impl Engine {
    pub(super) fn on_observation(&mut self, mut obs: Observation) {
        let now = self.now();
        let key = obs.session.clone();
        if let Signal::Stopped { .. } = obs.signal {
            // journal hook: durable before anything acknowledges it.
            self.journal.stop(&obs);
        }
        let (at, from_future) = crate::clock::observed_at(obs.at, now);
        if from_future {
            warn!(session = %key, claimed = %obs.at, "a record dated in the future; using the time it was read");
            obs.at = at;
        }
        let new = !self.sessions.contains_key(&key);
        self.sessions
            .entry(key.clone())
            .or_insert_with(|| TrackedSession::new(key.clone(), obs.locator.clone(), now));
        if new && obs.origin != Origin::Hook && obs.origin != Origin::Control {
            self.learn_agent_env(&key, &obs.locator);
        }
        let sess = self.sessions.get_mut(&key).expect("inserted above");
        sess.locator.merge(&obs.locator);
        sess.updated_at = now;
        self.dirty = true;
        match obs.signal {
            Signal::Started { resumed } => debug!(session = %key, resumed, "session started"),
            Signal::Progress => self.on_progress(&key, obs.at),
            Signal::Retrying { next } => self.on_agent_retrying(&key, next),
            Signal::SelfContinue(signal) => self.on_self_continue(&key, signal),
            Signal::Stopped { reason, evidence } => {
                self.on_stop(&key, reason, evidence, obs.at, obs.origin)
            }
        }
    }

    fn on_progress(&mut self, key: &SessionKey, at: DateTime<Utc>) {
        let sess = self.sessions.get_mut(key).expect("inserted by caller");
        sess.last_progress_at = Some(at);
        let previous = std::mem::replace(&mut sess.phase, Phase::Running);
        sess.attempts = 0;
        match previous {
            Phase::Resuming { action, .. } => {
                self.timers.disarm(key);
                self.attempts.remove(key);
                info!(session = %key, "resume verified: the session made progress");
                self.record(
                    self.event_for(EventType::ResumeCompleted, key)
                        .action(action.as_str())
                        .outcome("verified"),
                );
            }
            Phase::Waiting { .. } => {
                self.timers.disarm(key);
                self.record(
                    self.event_for(EventType::ResumeCancelled, key)
                        .message("the session made progress on its own".to_string()),
                );
            }
            Phase::SelfContinuing { .. } => {
                self.timers.disarm(key);
                info!(session = %key, "the assistant continued by itself");
                self.record(
                    self.event_for(EventType::ResumeCancelled, key)
                        .outcome("self_continued")
                        .message("the assistant continued by itself".to_string()),
                );
            }
            _ => {}
        }
    }

    /// The agent says it is retrying by itself: it must not be touched meanwhile.
    fn on_agent_retrying(&mut self, key: &SessionKey, next: Option<DateTime<Utc>>) {
        let grace = crate::clock::secs(self.config.resume.verify_timeout_secs);
        let next = next.map(|n| {
            let (n, clamped) = crate::clock::clamp_wait(n, self.now());
            if clamped {
                warn!(session = %key, "the agent announces its retry more than {} days ahead; waiting at most that", crate::clock::MAX_WAIT.num_days());
            }
            n
        });
        let sess = self.sessions.get_mut(key).expect("inserted by caller");
        // The resumed turn reached the provider and the agent retries it by itself: the attempt has not
        // failed; give it until the agent's next try plus the usual verification time.
        if let (Phase::Resuming { verify_by, .. }, Some(next)) = (&mut sess.phase, next)
            && crate::clock::after(next, grace) > *verify_by
        {
            *verify_by = crate::clock::after(next, grace);
            let until = *verify_by;
            self.timers.arm(key.clone(), until);
            debug!(session = %key, %until, "the agent retries the resumed turn itself; verification extended");
            return;
        }
        if let Phase::Waiting { .. } = sess.phase {
            sess.phase = Phase::Running;
            self.timers.disarm(key);
            self.record(
                self.event_for(EventType::ResumeCancelled, key)
                    .message("the agent is retrying on its own".to_string())
                    .metadata(serde_json::json!({ "next": next })),
            );
        }
    }

    fn on_stop(
        &mut self,
        key: &SessionKey,
        reason: StopReason,
        evidence: String,
        at: DateTime<Utc>,
        origin: Origin,
    ) {
        if reason == StopReason::UserExit {
            self.on_user_exit(key, evidence, at, origin);
            return;
        }
        let now = self.now();
        let m = &self.config.monitoring;
        // A stop found at start-up in a file nobody followed is news for longer than a live one.
        let fresh_secs = match origin {
            Origin::CatchUp => m.catch_up_secs.max(m.freshness_secs),
            _ => m.freshness_secs,
        };
        let freshness = crate::clock::secs(fresh_secs);
        let sess = self.sessions.get_mut(key).expect("inserted by caller");
        let record = StopRecord {
            reason: reason.clone(),
            at,
            evidence: evidence.clone(),
        };

        // Two channels can report the stop that started this episode, the second only after the resume
        // began; a stop from before the attempt started cannot be the resumed turn's.
        if let Phase::Resuming { started_at, .. } = sess.phase
            && at < started_at
        {
            debug!(session = %key, ?origin, "a stop from before the resume started; already handled");
            return;
        }
        let finished = |r: &StopReason| matches!(r, StopReason::Completed | StopReason::UserExit);
        // A Done session only repeats a finishing stop (e.g. SessionEnd seen twice); any error after it
        // belongs to a new turn.
        let open_phase = match sess.phase {
            Phase::Waiting { .. }
            | Phase::Stopped { .. }
            | Phase::Failed { .. }
            | Phase::SelfContinuing { .. } => true,
            Phase::Done { .. } => finished(&reason),
            Phase::Running | Phase::Resuming { .. } => false,
        };
        let same_episode = open_phase
            && sess.last_stop.as_ref().is_some_and(|prev| {
                (prev.at - at).num_seconds().abs() <= SAME_STOP_WINDOW
                    && (finished(&reason) || !finished(&prev.reason))
            });
        if same_episode {
            let prev = sess.last_stop.as_ref().expect("checked").reason.clone();
            if more_informative(&reason, &prev) {
                debug!(session = %key, ?origin, "same stop reported again with more detail; re-deciding");
                sess.last_stop = Some(record);
                if matches!(sess.phase, Phase::Waiting { .. }) {
                    self.redecide(key, &reason);
                }
            } else {
                debug!(session = %key, ?origin, "same stop reported again; already handled");
            }
            return;
        }

        // The stop already handled, reported late by a second channel after the episode moved on (resumed,
        // verified, replaced by a new session): nothing new.
        if sess.last_stop.as_ref().is_some_and(|prev| at <= prev.at) {
            debug!(session = %key, ?origin, "a stop no newer than the one already handled; ignored");
            return;
        }
        let was_resuming = matches!(sess.phase, Phase::Resuming { .. });
        if reason == StopReason::Completed {
            // A finished turn is not a problem: after a resume it is the proof that the resume worked.
            if was_resuming {
                self.on_progress(key, at);
            }
            let sess = self.sessions.get_mut(key).expect("exists");
            sess.phase = Phase::Done {
                why: "the turn completed".into(),
            };
            self.timers.disarm(key);
            self.record(
                self.event_for(EventType::SessionDone, key)
                    .reason(reason.label()),
            );
            return;
        }
        sess.last_stop = Some(record);
        let event = self
            .event_for(EventType::StopDetected, key)
            .reason(reason.label())
            .message(truncate(&evidence, 500))
            .metadata(serde_json::json!({ "origin": origin, "at": at, "detail": reason }));
        self.record(event);
        info!(session = %key, reason = reason.label(), ?origin, "stop detected");

        if was_resuming {
            self.attempt_failed(
                key,
                &format!("the resumed turn stopped again ({})", reason.label()),
            );
            return;
        }
        if now - at > freshness && !matches!(reason, StopReason::Completed | StopReason::UserExit) {
            let sess = self.sessions.get_mut(key).expect("exists");
            sess.phase = Phase::Stopped {
                why: format!("stale stop from {at}; older than the freshness window, not acted on"),
            };
            return;
        }
        self.redecide(key, &reason);
    }
}

impl Engine {
    /// A session first seen in its files: while its agent still runs, remember the agent's environment (HOME,
    /// provider URL, keys…) so a later resume runs as the agent did, even without hooks and even when the
    /// daemon was started with a different environment (a service manager's).
    fn learn_agent_env(&self, key: &SessionKey, locator: &crate::model::Locator) {
        if locator.cwd.is_none() && locator.pid.is_none() {
            return;
        }
        let Some(adapter) = crate::assistants::get(key.assistant) else {
            return;
        };
        let (key, locator, tx) = (key.clone(), locator.clone(), self.tx.clone());
        tokio::task::spawn_blocking(move || {
            let pid = crate::procfs::find_agents(adapter.process(), &key.id, &locator)
                .into_iter()
                .next();
            let env = pid
                .and_then(|pid| crate::procfs::environment(pid, adapter.env_prefixes()))
                .filter(|e| !e.is_empty());
            if let Some(env) = env {
                // A full queue only costs this optimisation; the hook path still works.
                let _ = tx.try_send(super::EngineMsg::AgentEnv { session: key, env });
            }
        });
    }

    /// The user ended the session: whatever was planned is cancelled, and it is never resumed.
    fn on_user_exit(
        &mut self,
        key: &SessionKey,
        evidence: String,
        at: DateTime<Utc>,
        origin: Origin,
    ) {
        let sess = self.sessions.get_mut(key).expect("inserted by caller");
        if matches!(sess.phase, Phase::Done { .. }) {
            return;
        }
        let pending = matches!(sess.phase, Phase::Waiting { .. } | Phase::Resuming { .. });
        sess.phase = Phase::Done {
            why: "the user ended the session".into(),
        };
        sess.last_stop = Some(StopRecord {
            reason: StopReason::UserExit,
            at,
            evidence,
        });
        self.timers.disarm(key);
        if let Some(token) = self.attempts.remove(key) {
            token.cancel();
        }
        if pending {
            self.record(
                self.event_for(EventType::ResumeCancelled, key)
                    .message("the user ended the session".to_string()),
            );
        }
        info!(session = %key, ?origin, "the user ended the session; it will not be resumed");
        self.record(
            self.event_for(EventType::SessionDone, key)
                .reason(StopReason::UserExit.label()),
        );
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

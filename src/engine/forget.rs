//! Dropping tracked sessions: on request (`sessions forget`), and the ones quiet for longer than
//! `[daemon] forget_after_days`. A forgotten session takes its transcript's read offset along, so it comes
//! back only if its transcript (or a hook) says something new.

use super::Engine;
use super::session::Phase;
use super::step::Input;
use crate::audit::{AuditEvent, EventType};
use crate::model::SessionKey;
use crate::protocol::{ErrorCode, ForgetRequest, Response, Target};

impl Engine {
    /// Whether `key` has a resume waiting or under way (what `abort` cancels).
    pub(super) fn has_pending(&self, key: &SessionKey) -> bool {
        matches!(
            self.sessions[key].phase,
            Phase::Waiting { .. } | Phase::Resuming { .. } | Phase::SelfContinuing { .. }
        ) || self.attempts.contains_key(key)
    }

    pub(super) fn forget(&mut self, req: ForgetRequest) -> Response {
        let target = Target {
            session: Some(req.session),
        };
        let key = match self.resolve(&target) {
            Ok(k) => k,
            Err(e) => return Response::Error(e),
        };
        let pending = self.has_pending(&key);
        if pending && !req.force {
            let state = self.sessions[&key].info(self.now()).state;
            return Response::error(
                ErrorCode::BadRequest,
                format!(
                    "{key} is {}, with a resume pending or running; nothing forgotten. Cancel it with \
                     `palingenesis abort {}` first, or forget it anyway with `--force`",
                    state.as_str(),
                    key.id
                ),
            );
        }
        if pending {
            self.apply(&key, Input::Abort);
        }
        self.drop_session(&key);
        self.record(
            AuditEvent::new(EventType::SessionForgotten)
                .session_key(&key)
                .reason("requested")
                .outcome(if pending { "forced" } else { "forgotten" }),
        );
        Response::done(if pending {
            format!("{key}: pending resume cancelled and session forgotten")
        } else {
            format!("{key}: forgotten")
        })
    }

    /// Remove `key` and everything the engine keeps for it.
    fn drop_session(&mut self, key: &SessionKey) {
        if let Some(token) = self.attempts.remove(key) {
            token.cancel();
        }
        self.timers.disarm(key);
        if let Some(sess) = self.sessions.remove(key)
            && let Some(transcript) = &sess.locator.transcript
        {
            self.offsets.remove(transcript);
        }
        self.dirty = true;
    }

    /// Sessions with nothing pending that have been quiet for `[daemon] forget_after_days` (0: never) are
    /// forgotten (they come back if they write again), and so are the read offsets of their transcripts (a
    /// transcript without one is followed from its end), so state stays small on machines with years of
    /// history.
    pub(super) fn forget_quiet_sessions(&mut self) {
        let days = self.config.daemon.forget_after_days;
        if days == 0 {
            return;
        }
        let horizon = self.now() - chrono::Duration::days(i64::from(days));
        let quiet: Vec<SessionKey> = self
            .sessions
            .values()
            .filter(|s| s.updated_at <= horizon && !self.has_pending(&s.key))
            .filter(|s| matches!(s.phase, Phase::Running | Phase::Done { .. }))
            .map(|s| s.key.clone())
            .collect();
        for key in quiet {
            self.drop_session(&key);
            self.record(
                AuditEvent::new(EventType::SessionForgotten)
                    .session_key(&key)
                    .reason(format!("quiet for {days} days"))
                    .outcome("pruned"),
            );
        }
    }
}

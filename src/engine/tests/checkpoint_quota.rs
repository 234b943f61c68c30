//! The early checkpoint on the quota: asked once per session, usage window and threshold; through a hook
//! at the end of a turn where the session's hooks ask that way, else recorded as not asked when there is no
//! terminal to type into; the context and the quota crossing together make one request.

use super::*;
use crate::model::{ContextUse, QuotaUse, UsageWindow};
use crate::nextstep::early::QuotaAsked;
use crate::protocol::HookForward;

fn enabled(c: &mut Config) {
    c.checkpoint.enabled = Some(true);
}

fn quota(percent: u8, window: UsageWindow) -> QuotaUse {
    QuotaUse {
        percent,
        window,
        resets_at: None,
    }
}

fn observe(r: &mut Rig, session: &SessionKey, signal: Signal) {
    r.engine.on_observation(Observation {
        session: session.clone(),
        at: Utc::now(),
        signal,
        origin: Origin::Rollout,
        locator: Locator {
            cwd: Some("/p".into()),
            ..Default::default()
        },
    });
}

fn codex() -> SessionKey {
    SessionKey::new(crate::assistants::codex::ASSISTANT, "t1")
}

/// Codex reports `q`; no request follows, none is recorded, nothing is marked asked.
async fn assert_never_asked(r: &mut Rig, q: QuotaUse) {
    observe(r, &codex(), Signal::QuotaUse(q));
    assert!(checkpoint_requests(r).await.is_empty());
    assert!(
        r.engine.sessions[&codex()]
            .checkpoint
            .quota_asked
            .is_empty()
    );
}

/// A `Stop` hook of session `s1`; the daemon's answer.
async fn stop_hook(r: &mut Rig) -> Response {
    let (tx, rx) = tokio::sync::oneshot::channel();
    r.engine.on_hook(
        HookForward {
            assistant: crate::assistants::claude::ASSISTANT,
            payload: serde_json::json!({"session_id": "s1", "cwd": "/p", "hook_event_name": "Stop"}),
        },
        tx,
    );
    rx.await.expect("answered")
}

#[tokio::test]
async fn each_usage_window_is_asked_about_once_at_its_threshold() {
    let mut r = rig_with(TurnOutcome::Succeeded, enabled);
    let s = codex();
    for q in [
        quota(85, UsageWindow::Session),
        quota(92, UsageWindow::Session),
        quota(97, UsageWindow::Session),
        quota(91, UsageWindow::Weekly),
        quota(99, UsageWindow::Weekly),
    ] {
        observe(&mut r, &s, Signal::QuotaUse(q));
    }
    let found = checkpoint_requests(&mut r).await;
    assert_eq!(found.len(), 2, "{found:?}");
    // Asked off the engine task: recorded in either order.
    let of = |window: &str| {
        found
            .iter()
            .find(|e| e.metadata["quota_window"] == window)
            .unwrap_or_else(|| panic!("{window}: {found:?}"))
    };
    let session = &of("session").metadata;
    assert_eq!(session["trigger"], "quota");
    assert_eq!(session["quota_percent"], 92);
    assert_eq!(session["threshold"], 90);
    assert_eq!(of("weekly").metadata["quota_percent"], 91);
    // Codex's headless sessions have no terminal to type into.
    assert_eq!(of("session").outcome.as_deref(), Some("not_asked"));
    let track = &r.engine.sessions[&s].checkpoint;
    assert_eq!(
        track.quota_asked,
        vec![
            QuotaAsked {
                window: UsageWindow::Session,
                threshold: 90,
                resets_at: None,
            },
            QuotaAsked {
                window: UsageWindow::Weekly,
                threshold: 90,
                resets_at: None,
            }
        ]
    );
    assert_eq!(track.quota, Some(quota(99, UsageWindow::Weekly)));
    assert!(track.asked.is_empty(), "the context was not asked about");
}

#[tokio::test]
async fn a_quota_threshold_of_zero_or_a_project_turned_off_is_never_asked() {
    for tune in [
        (|c: &mut Config| {
            c.checkpoint.enabled = Some(true);
            c.checkpoint.quota_percent = 0;
        }) as fn(&mut Config),
        |c: &mut Config| {
            c.checkpoint.enabled = Some(true);
            c.checkpoint.projects.insert(
                "/p".into(),
                crate::config::ProjectCheckpoint {
                    quota_percent: Some(0),
                    ..Default::default()
                },
            );
        },
    ] {
        let mut r = rig_with(TurnOutcome::Succeeded, tune);
        assert_never_asked(&mut r, quota(99, UsageWindow::Weekly)).await;
    }
}

#[tokio::test]
async fn a_hook_at_the_end_of_the_turn_is_answered_with_the_quota_request() {
    let mut r = rig_with(TurnOutcome::Succeeded, enabled);
    let resets = "2026-12-03T09:00:00Z".parse().unwrap();
    let q = QuotaUse {
        resets_at: Some(resets),
        ..quota(93, UsageWindow::Weekly)
    };
    hooked_session_start(&mut r).await;
    // Recorded, not asked yet: this session is asked at the end of the turn, through its hook.
    observe(&mut r, &key(), Signal::QuotaUse(q));
    assert!(r.engine.sessions[&key()].checkpoint.quota_asked.is_empty());
    let Response::Continue(c) = stop_hook(&mut r).await else {
        panic!("expected the quota checkpoint request");
    };
    assert!(
        c.instruction
            .contains("93% of your weekly usage limit (it resets 2026-12-03 09:00 UTC"),
        "{}",
        c.instruction
    );
    assert!(
        matches!(stop_hook(&mut r).await, Response::Done(_)),
        "asked once"
    );
    let found = checkpoint_requests(&mut r).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].outcome.as_deref(), Some("asked"));
    let meta = found[0].metadata.clone();
    assert_eq!(meta["trigger"], "quota");
    assert_eq!(meta["how"], "hook");
    assert_eq!(meta["resets_at"], "2026-12-03T09:00:00Z");
}

#[tokio::test]
async fn the_context_and_the_quota_crossing_together_make_one_request() {
    let mut r = rig_with(TurnOutcome::Succeeded, enabled);
    hooked_session_start(&mut r).await;
    // Both recorded during the turn; the hook at its end finds both due.
    observe(
        &mut r,
        &key(),
        Signal::QuotaUse(quota(95, UsageWindow::Session)),
    );
    let context = ContextUse {
        used_tokens: 190_000,
        window_tokens: Some(200_000),
    };
    observe(&mut r, &key(), Signal::ContextUse(context));
    let Response::Continue(c) = stop_hook(&mut r).await else {
        panic!("expected the checkpoint request");
    };
    assert!(c.instruction.contains("95% full"), "{}", c.instruction);
    let found = checkpoint_requests(&mut r).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].metadata["trigger"], "context");
    let track = &r.engine.sessions[&key()].checkpoint;
    assert_eq!(track.asked, vec![85]);
    assert_eq!(
        track.quota_asked.len(),
        1,
        "the one request stands for both"
    );
}

#[test]
fn a_checkpoint_track_from_before_the_quota_still_loads() {
    let old = r#"{"context":{"used_tokens":171000,"window_tokens":200000},"asked":[85]}"#;
    let track: crate::engine::session::CheckpointTrack = serde_json::from_str(old).unwrap();
    assert_eq!(track.asked, vec![85]);
    assert_eq!(track.quota, None);
    assert!(track.quota_asked.is_empty());
    let mut with_quota = track.clone();
    with_quota.quota = Some(quota(92, UsageWindow::Session));
    with_quota.quota_asked.push(QuotaAsked {
        window: UsageWindow::Session,
        threshold: 90,
        resets_at: None,
    });
    let text = serde_json::to_string(&with_quota).unwrap();
    assert!(
        text.contains(r#""quota_asked":[{"window":"session","threshold":90}]"#),
        "{text}"
    );
    let back: crate::engine::session::CheckpointTrack = serde_json::from_str(&text).unwrap();
    assert_eq!(back, with_quota);
}

#[tokio::test]
async fn a_window_already_spent_is_not_asked_about() {
    // Codex records the exhausted window with the usage-limit stop: too late to ask, the resume takes over.
    let mut r = rig_with(TurnOutcome::Succeeded, enabled);
    assert_never_asked(&mut r, quota(100, UsageWindow::Session)).await;
}

#[tokio::test]
async fn the_next_period_of_a_window_is_asked_about_again_and_only_its_mark_is_kept() {
    let mut r = rig_with(TurnOutcome::Succeeded, enabled);
    let s = codex();
    let resets = |h: u32| Some(format!("2026-12-01T{h:02}:00:00Z").parse().unwrap());
    for (percent, reset) in [(92, resets(10)), (95, resets(10)), (91, resets(15))] {
        let q = QuotaUse {
            resets_at: reset,
            ..quota(percent, UsageWindow::Session)
        };
        observe(&mut r, &s, Signal::QuotaUse(q));
    }
    let found = checkpoint_requests(&mut r).await;
    assert_eq!(found.len(), 2, "{found:?}");
    let track = &r.engine.sessions[&s].checkpoint;
    assert_eq!(track.quota_asked.len(), 1, "{:?}", track.quota_asked);
    assert_eq!(track.quota_asked[0].resets_at, resets(15));
}

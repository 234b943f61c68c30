//! The early checkpoint in the engine: asked through a hook once per session and threshold; recorded as not
//! asked for an assistant whose hooks cannot ask.

use super::*;
use crate::model::ContextUse;
use crate::protocol::HookForward;

fn enabled(c: &mut Config) {
    c.checkpoint.enabled = Some(true);
}

fn usage(used: u64) -> ContextUse {
    ContextUse {
        used_tokens: used,
        window_tokens: Some(200_000),
    }
}

/// `session`'s records (`origin`) report `used` tokens, in project `/p`.
fn context_reported(r: &mut Rig, session: &SessionKey, origin: Origin, used: u64) {
    r.engine.on_observation(Observation {
        session: session.clone(),
        at: Utc::now(),
        signal: Signal::ContextUse(usage(used)),
        origin,
        locator: Locator {
            cwd: Some("/p".into()),
            ..Default::default()
        },
    });
}

/// A `Stop` hook of session `s1` reporting `used` tokens; the daemon's answer.
async fn stop_hook(r: &mut Rig, used: u64) -> Response {
    let payload = serde_json::json!({
        "session_id": "s1", "cwd": "/p", "hook_event_name": "Stop",
        "palingenesis_context_use": usage(used),
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    r.engine.on_hook(
        HookForward {
            assistant: crate::assistants::claude::ASSISTANT,
            payload,
        },
        tx,
    );
    rx.await.expect("answered")
}

#[tokio::test]
async fn a_stop_hook_past_the_threshold_is_answered_with_the_request_once() {
    let mut r = rig_with(TurnOutcome::Succeeded, enabled);
    assert!(matches!(
        stop_hook(&mut r, 100_000).await,
        Response::Done(_)
    ));
    let Response::Continue(c) = stop_hook(&mut r, 171_000).await else {
        panic!("expected the checkpoint request");
    };
    assert!(c.instruction.contains("85% full"), "{}", c.instruction);
    assert!(
        c.instruction.contains("/p/Next-step.md"),
        "{}",
        c.instruction
    );
    assert!(matches!(
        stop_hook(&mut r, 190_000).await,
        Response::Done(_)
    ));
    assert_eq!(events(&r, EventType::CheckpointRequested).await, 1);
    let track = &r.engine.sessions[&key()].checkpoint;
    assert_eq!(track.asked, vec![85]);
    assert_eq!(track.context, Some(usage(190_000)));
}

#[tokio::test]
async fn checkpoints_turned_off_are_never_asked() {
    let mut r = rig_with(TurnOutcome::Succeeded, |c| {
        c.checkpoint.enabled = Some(false)
    });
    assert!(matches!(
        stop_hook(&mut r, 199_000).await,
        Response::Done(_)
    ));
    assert!(r.engine.sessions[&key()].checkpoint.asked.is_empty());
    assert_eq!(events(&r, EventType::CheckpointRequested).await, 0);
}

#[tokio::test]
async fn an_assistant_that_cannot_be_asked_is_recorded_as_not_asked_once() {
    let mut r = rig_with(TurnOutcome::Succeeded, enabled);
    let codex = SessionKey::new(crate::assistants::codex::ASSISTANT, "t1");
    for used in [150_000, 180_000, 190_000] {
        context_reported(&mut r, &codex, Origin::Rollout, used);
    }
    let found = checkpoint_requests(&mut r).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].outcome.as_deref(), Some("not_asked"));
    assert_eq!(r.engine.sessions[&codex].checkpoint.asked, vec![85]);
}

#[tokio::test]
async fn a_claude_session_without_hooks_is_asked_in_its_terminal_not_left_waiting_for_a_hook() {
    let mut r = rig_with(TurnOutcome::Succeeded, enabled);
    context_reported(&mut r, &key(), Origin::Transcript, 171_000);
    // No terminal here to type into: the terminal route ran, and says so.
    let found = checkpoint_requests(&mut r).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].outcome.as_deref(), Some("not_asked"));
    let track = &r.engine.sessions[&key()].checkpoint;
    assert!(!track.hooked);
    assert_eq!(track.asked, vec![85]);
}

#[tokio::test]
async fn a_hooked_claude_session_is_asked_by_its_stop_hook_at_the_end_of_the_turn() {
    let mut r = rig_with(TurnOutcome::Succeeded, enabled);
    hooked_session_start(&mut r).await;
    // Mid-turn, the transcript crosses the threshold: left to the hook.
    context_reported(&mut r, &key(), Origin::Transcript, 171_000);
    assert!(r.engine.sessions[&key()].checkpoint.asked.is_empty());
    let Response::Continue(c) = stop_hook(&mut r, 171_000).await else {
        panic!("expected the checkpoint request");
    };
    assert!(c.instruction.contains("85% full"), "{}", c.instruction);
    let found = checkpoint_requests(&mut r).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].outcome.as_deref(), Some("asked"));
}

#[test]
fn whether_a_session_is_hooked_survives_a_restart() {
    let mut track = crate::engine::session::CheckpointTrack::default();
    assert_eq!(serde_json::to_value(&track).unwrap(), serde_json::json!({}));
    track.hooked = true;
    let saved = serde_json::to_string(&track).unwrap();
    let back: crate::engine::session::CheckpointTrack = serde_json::from_str(&saved).unwrap();
    assert!(back.hooked);
}

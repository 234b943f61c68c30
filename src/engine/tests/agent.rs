//! Which session an agent asking through MCP is, and the limit that binds it.

use super::*;
use crate::protocol::AgentContext;

fn seen(rig: &mut Rig, id: &str, cwd: &str, pid: Option<u32>, ago_secs: i64) {
    rig.engine.on_observation(Observation {
        session: SessionKey::new(crate::assistants::claude::ASSISTANT, id),
        at: Utc::now() - Duration::seconds(ago_secs),
        signal: Signal::Progress,
        origin: Origin::Transcript,
        locator: Locator {
            cwd: Some(cwd.into()),
            pid,
            ..Default::default()
        },
    });
    rig.engine
        .sessions
        .get_mut(&SessionKey::new(crate::assistants::claude::ASSISTANT, id))
        .unwrap()
        .updated_at = Utc::now() - Duration::seconds(ago_secs);
}

fn found(rig: &Rig, ctx: AgentContext) -> Option<(String, &'static str)> {
    rig.engine.agent_session_key(&ctx).map(|(k, by)| (k.id, by))
}

#[tokio::test]
async fn the_session_id_wins_then_the_process_then_the_latest_in_the_directory() {
    let mut r = rig(TurnOutcome::Succeeded);
    seen(&mut r, "by-pid", "/p", Some(4242), 30);
    seen(&mut r, "latest-in-p", "/p", None, 10);
    seen(&mut r, "named", "/q", None, 20);
    let ctx = |session: Option<&str>, ancestors: Vec<u32>, cwd: &str| AgentContext {
        session: session.map(String::from),
        ancestors,
        cwd: Some(cwd.into()),
    };
    assert_eq!(
        found(&r, ctx(Some("named"), vec![4242], "/p")),
        Some(("named".into(), "session_id"))
    );
    assert_eq!(
        found(&r, ctx(Some("unknown"), vec![1, 4242], "/p")),
        Some(("by-pid".into(), "process")),
        "an id nobody tracks falls through to the process"
    );
    assert_eq!(
        found(&r, ctx(None, vec![1], "/p")),
        Some(("latest-in-p".into(), "cwd"))
    );
    assert_eq!(found(&r, ctx(None, vec![1], "/elsewhere")), None);
}

#[tokio::test]
async fn only_a_limit_that_has_not_reset_binds() {
    let mut r = rig(TurnOutcome::Succeeded);
    let limit = |hours: i64| StopReason::UsageLimit {
        resets_at: Some(Utc::now() + Duration::hours(hours)),
        window: UsageWindow::Weekly,
        precision: Default::default(),
    };
    r.engine
        .on_observation(stop(limit(-1), Origin::Transcript, 0));
    let report = |r: &mut Rig| match r.engine.on_request(Request::AgentSession(AgentContext {
        session: Some("s1".into()),
        ..Default::default()
    })) {
        Response::AgentSession(report) => report,
        other => panic!("{other:?}"),
    };
    assert_eq!(report(&mut r).limit, None, "it already reset");
    r.engine
        .on_observation(stop(limit(30), Origin::Transcript, 0));
    let got = report(&mut r);
    let limit = got.limit.expect("a weekly limit 30 h out binds");
    assert_eq!(limit.window.as_deref(), Some("weekly"));
    assert!(got.plan.is_some(), "and the report says what happens then");
}

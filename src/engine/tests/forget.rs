//! Pruning quiet sessions honours `[daemon] forget_after_days`.

use chrono::{Duration, Utc};

use super::*;
use crate::audit::EventType;

fn quiet_for(days: i64, forget_after_days: u32) -> Rig {
    let mut r = rig_with(TurnOutcome::Succeeded, |c| {
        c.daemon.forget_after_days = forget_after_days
    });
    r.engine.on_observation(progress());
    r.engine.sessions.get_mut(&key()).unwrap().updated_at = Utc::now() - Duration::days(days);
    r.engine.forget_quiet_sessions();
    r
}

#[tokio::test]
async fn the_horizon_is_the_configured_number_of_days() {
    assert!(quiet_for(2, 3).engine.sessions.contains_key(&key()));
    let r = quiet_for(4, 3);
    assert!(!r.engine.sessions.contains_key(&key()));
    assert_eq!(events(&r, EventType::SessionForgotten).await, 1);
}

#[tokio::test]
async fn zero_days_never_forgets() {
    assert!(quiet_for(10_000, 0).engine.sessions.contains_key(&key()));
}

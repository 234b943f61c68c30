//! `sessions forget`, seen as a user sees it: a session created by a hook (even one with a bogus id) can be
//! forgotten, an unknown id is an error that says so, a pending resume is not dropped without `--force`,
//! and a hook without a session id creates nothing.

mod support;

use support::home::Home;

fn daemon() -> Home {
    let home = Home::new();
    home.write_config("[monitoring]\nassistants = [\"claude\"]\n");
    home.start();
    home
}

/// Run `palingenesis hook claude` with `payload` on stdin, as Claude Code does.
fn hook(home: &Home, payload: serde_json::Value) {
    home.hook("claude", &payload.to_string());
}

fn tracked(home: &Home) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"]["id"].as_str().unwrap().to_string())
        .collect()
}

fn stopped(session: &str) -> serde_json::Value {
    serde_json::json!({"hook_event_name": "Stop", "session_id": session, "cwd": "/tmp"})
}

#[test]
fn a_session_from_a_bogus_hook_can_be_forgotten() {
    let home = daemon();
    hook(&home, stopped("not a uuid!"));
    assert_eq!(tracked(&home), ["not a uuid!"]);

    let out = home.ok(&["sessions", "forget", "not a"]);
    assert!(out.contains("forgotten"), "{out}");
    assert!(tracked(&home).is_empty());
    let events = home.events_of("SessionForgotten");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["session"], "not a uuid!", "{events:?}");

    // Gone means gone: forgetting it again is an error, as is any unknown id.
    let (code, out, err) = home.run(&["sessions", "forget", "not a"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("no tracked session matches `not a`"), "{err}");
    assert_eq!(home.events_of("SessionForgotten").len(), 1);
}

#[test]
fn a_hook_without_a_session_id_creates_no_session() {
    let home = daemon();
    for id in ["", "   "] {
        hook(&home, stopped(id));
    }
    hook(
        &home,
        serde_json::json!({"hook_event_name": "Stop", "cwd": "/tmp"}),
    );
    assert!(tracked(&home).is_empty());
}

#[test]
fn a_pending_resume_is_forgotten_only_with_force() {
    let home = daemon();
    let id = "7a1b2c3d-0000-4000-8000-00000000f0f0";
    hook(
        &home,
        serde_json::json!({
            "hook_event_name": "StopFailure", "session_id": id, "cwd": "/tmp", "error": "rate_limit",
            "last_assistant_message": "You've hit your session limit · resets 12:57am (UTC)"
        }),
    );
    home.wait_event("ResumeScheduled");

    let (code, out, err) = home.run(&["sessions", "forget", &id[..8]]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("resume pending"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(tracked(&home), [id]);
    assert!(home.events_of("SessionForgotten").is_empty());

    let out = home.ok(&["sessions", "forget", "--force", &id[..8]]);
    assert!(out.contains("pending resume cancelled"), "{out}");
    assert!(tracked(&home).is_empty());
    assert_eq!(home.events_of("ResumeCancelled").len(), 1);
    let forgotten = home.events_of("SessionForgotten");
    assert_eq!(forgotten[0]["outcome"], "forced", "{forgotten:?}");
    assert_eq!(forgotten[0]["session"], id, "{forgotten:?}");
}

#[test]
fn the_pruning_horizon_is_applied_by_a_reload() {
    let home = daemon();
    home.write_config("[monitoring]\nassistants = [\"claude\"]\n[daemon]\nforget_after_days = 0\n");
    let out = home.ok(&["daemon", "reload"]);
    assert!(
        out.contains("applied now: daemon.forget_after_days"),
        "{out}"
    );
    assert!(!out.contains("NOT applied"), "{out}");

    home.write_config("[daemon]\nforget_after_days = 99999\n");
    let (code, out, err) = home.run(&["config", "validate"]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("daemon.forget_after_days"),
        "{out}{err}"
    );
}

//! A hook's payload is spooled before it is sent: a hook that never reaches the daemon (killed by its agent
//! on the way, or run while no daemon is up) loses nothing, and every stop is handled exactly once.

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use support::home::Home;
use support::wait::wait_until;

const SESSION: &str = "11111111-2222-4333-8444-555555555555";
const STOP: &str = r#"{"hook_event_name":"StopFailure","session_id":"11111111-2222-4333-8444-555555555555","cwd":"/tmp","error":"rate_limit","last_assistant_message":"API Error: Request rejected (429) - rate limit"}"#;
const WAIT: Duration = Duration::from_secs(30);

fn spool_dir(home: &Home) -> PathBuf {
    home.paths().state_dir.join("hook-spool")
}

fn spooled(home: &Home) -> Vec<String> {
    std::fs::read_dir(spool_dir(home))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn signal(pid: u32, sig: Signal) {
    kill(Pid::from_raw(pid as i32), sig).unwrap();
}

#[test]
fn a_delivered_hook_leaves_nothing_spooled() {
    let home = Home::new();
    home.start();
    home.hook("claude", STOP);
    assert_eq!(spooled(&home), Vec::<String>::new());
    let stops = home.wait_events("StopDetected", 1, WAIT);
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0]["session"], SESSION);
}

#[test]
fn a_hook_run_while_no_daemon_is_up_is_handled_once_it_starts() {
    let home = Home::new();
    home.hook("claude", STOP);
    assert_eq!(
        home.events_of("HookReceived")[0]["outcome"],
        "daemon_unreachable"
    );
    assert_eq!(spooled(&home).len(), 1, "{:?}", spooled(&home));

    home.start();
    let stops = home.wait_events("StopDetected", 1, WAIT);
    assert_eq!(stops[0]["session"], SESSION);
    assert_eq!(stops[0]["metadata"]["origin"], "hook");
    assert!(home.log().contains("handled from its spooled copy"));
    assert!(wait_until(WAIT, || spooled(&home).is_empty()));
    assert_eq!(home.events_of("StopDetected").len(), 1);
}

/// The agent's SIGKILL cannot be held off: a hook killed before the daemon read its request still has its
/// stop handled, once, from the spooled copy.
#[test]
fn a_hook_killed_on_its_way_to_the_daemon_loses_nothing() {
    let home = Home::new();
    home.start();
    let daemon = home.daemon_pid();
    // A daemon that cannot answer yet: the hook gets no further than its spooled copy.
    signal(daemon, Signal::SIGSTOP);
    let mut hook = home
        .command(&["hook", "claude"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    hook.stdin
        .take()
        .unwrap()
        .write_all(STOP.as_bytes())
        .unwrap();
    let appeared = wait_until(WAIT, || spooled(&home).iter().any(|n| n.ends_with(".json")));
    signal(hook.id(), Signal::SIGKILL);
    let _ = hook.wait();
    signal(daemon, Signal::SIGCONT);
    assert!(appeared, "the hook spooled its payload");

    let stops = home.wait_events("StopDetected", 1, WAIT);
    assert_eq!(stops[0]["session"], SESSION);
    assert!(
        wait_until(WAIT, || spooled(&home).is_empty()),
        "{:?}",
        spooled(&home)
    );
    assert_eq!(home.events_of("StopDetected").len(), 1);
}

//! The daemon and CLI, driven as a user would: the real binary, a real socket, an isolated PALINGENESIS_HOME.

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use support::home::Home;

#[test]
fn start_status_pause_restart_resume_stop() {
    let home = Home::new();
    home.start();
    let out = home.ok(&["status"]);
    assert!(out.contains("monitoring"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&home.ok(&["status", "--json"])).unwrap();
    assert_eq!(json["mode"], "monitoring");

    assert!(home.ok(&["pause"]).contains("paused"));
    assert!(home.ok(&["status"]).contains("PAUSED"));
    home.ok(&["daemon", "restart"]);
    assert!(
        home.ok(&["status"]).contains("PAUSED"),
        "pause must survive a restart"
    );
    home.ok(&["resume"]);
    assert!(home.ok(&["status"]).contains("monitoring"));
    home.ok(&["daemon", "stop"]);
    let (code, _, err) = home.run(&["status"]);
    assert_eq!(code, 3, "status without a daemon exits 3");
    assert!(
        err.contains("not running") && err.contains("palingenesis daemon start"),
        "{err}"
    );
    assert!(
        !home.paths().socket().exists(),
        "socket removed on shutdown"
    );
    assert!(
        !home.paths().pid_file().exists(),
        "pid file removed on shutdown"
    );

    let events = home.ok(&["events", "--json"]);
    for kind in ["DaemonStarted", "Paused", "Unpaused", "DaemonStopped"] {
        assert!(
            events.contains(kind),
            "{kind} missing from audit:\n{events}"
        );
    }
}

#[test]
fn second_start_reports_the_running_pid() {
    let home = Home::new();
    home.start();
    let pid = home.daemon_pid();
    // Detached, the wanted state holds: exit 0, saying so.
    let out = home.ok(&["daemon", "start"]);
    assert!(
        out.contains(&format!("already running (pid {pid},")),
        "{out}"
    );
    // In the foreground it cannot be done: a failure.
    let (code, _, err) = home.run(&["daemon", "start", "--foreground"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("already running (pid {pid})")),
        "{err}"
    );
    home.ok(&["daemon", "stop"]);
}

#[test]
fn kill_9_leaves_stale_files_that_the_next_start_recovers() {
    let home = Home::new();
    home.start();
    let pid = home.daemon_pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    support::home::wait_until(Duration::from_secs(5), || !support::home::alive(pid));
    assert!(
        home.paths().socket().exists(),
        "a killed daemon leaves its socket"
    );
    home.start();
    assert_ne!(home.daemon_pid(), pid);
    home.ok(&["status"]);
    home.ok(&["daemon", "stop"]);
}

#[test]
fn sighup_rejects_a_bad_config_and_applies_a_good_one() {
    let home = Home::new();
    home.start();
    let pid = home.daemon_pid();
    std::fs::write(
        home.paths().config_file,
        "[resume]\nbackoff_base_secs = 0\n",
    )
    .unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGHUP,
    )
    .unwrap();
    home.wait_event("ConfigRejected");
    home.ok(&["status"]);
    std::fs::write(
        home.paths().config_file,
        "[resume]\nbackoff_base_secs = 10\n",
    )
    .unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGHUP,
    )
    .unwrap();
    home.wait_event("ConfigChanged");
    // `daemon reload` reports a rejection to the user.
    std::fs::write(home.paths().config_file, "[resume\n").unwrap();
    let (code, _, err) = home.run(&["daemon", "reload"]);
    assert_eq!(code, 1);
    assert!(err.contains("config.toml:1:"), "{err}");
    home.ok(&["daemon", "stop"]);
}

fn raw_frame(stream: &mut UnixStream, body: &[u8]) -> serde_json::Value {
    stream
        .write_all(&(body.len() as u32).to_be_bytes())
        .unwrap();
    stream.write_all(body).unwrap();
    read_frame(stream)
}

fn read_frame(stream: &mut UnixStream) -> serde_json::Value {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).unwrap();
    let mut buf = vec![0; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut buf).unwrap();
    serde_json::from_slice(&buf).unwrap()
}

#[test]
fn garbage_and_oversize_frames_get_errors_and_the_daemon_survives() {
    let home = Home::new();
    home.start();
    let mut s = UnixStream::connect(home.paths().socket()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let r = raw_frame(&mut s, br#"{"request":"status"}"#);
    assert_eq!(r["code"], "handshake_required", "{r}");
    let r = raw_frame(
        &mut s,
        br#"{"request":"hello","version":1,"client":"test"}"#,
    );
    assert_eq!(r["response"], "hello");
    let r = raw_frame(&mut s, b"\x00\xffnot json at all");
    assert_eq!(r["code"], "bad_request", "{r}");
    let r = raw_frame(&mut s, br#"{"request":"no_such_thing"}"#);
    assert_eq!(r["code"], "bad_request", "{r}");
    let r = raw_frame(&mut s, br#"{"request":"status"}"#);
    assert_eq!(
        r["response"], "status",
        "connection still usable after bad frames"
    );

    // An oversize length prefix: refused without the daemon allocating or waiting for the body.
    let mut s = UnixStream::connect(home.paths().socket()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(&(512u32 * 1024 * 1024).to_be_bytes()).unwrap();
    let r = read_frame(&mut s);
    assert_eq!(r["code"], "frame_too_large", "{r}");

    home.ok(&["status"]);
    home.ok(&["daemon", "stop"]);
}

#[test]
fn commands_without_daemon_say_how_to_start_it() {
    let home = Home::new();
    for cmd in [
        &["status"][..],
        &["pause"],
        &["sessions"],
        &["skip"],
        &["health"],
    ] {
        let (code, _, err) = home.run(cmd);
        assert_eq!(code, 3, "{cmd:?}");
        assert!(err.contains("palingenesis daemon start"), "{err}");
    }
}

#[test]
fn runtime_dir_and_socket_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    home.start();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home.paths().runtime_dir), 0o700);
    assert_eq!(mode(&home.paths().socket()), 0o600);
    assert_eq!(
        mode(&home.paths().log_dir()),
        0o700,
        "logs quote agents' output"
    );
    assert_eq!(mode(&home.paths().log_file()), 0o600);
    assert_eq!(mode(&home.paths().log_dir().join("daemon.stderr")), 0o600);
    home.ok(&["daemon", "stop"]);
}

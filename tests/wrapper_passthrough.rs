//! `palingenesis run` as a terminal wrapper, without any agent or daemon: it must be invisible. Window size
//! and resizes reach the program, Ctrl-C is a keystroke for the program (raw mode), signals sent to the
//! wrapper reach the program, the program's exit status comes back, and the wrapper's socket is private.
//! A daemon started later finds the running wrapper.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use support::home::Home;
use support::pty::PtyTerm;

const T: Duration = Duration::from_secs(20);

fn env(home: &Home) -> Vec<(String, String)> {
    let mut env = home.env.clone();
    env.push(("PATH".into(), std::env::var("PATH").unwrap_or_default()));
    env.push(("TERM".into(), "xterm-256color".into()));
    env
}

fn wrapped(home: &Home, script: &str, rows: u16, cols: u16) -> PtyTerm {
    PtyTerm::spawn(
        Path::new(support::home::BIN),
        &["run", "--", "/bin/sh", "-c", script],
        &home.dir,
        &env(home),
        rows,
        cols,
    )
}

#[test]
fn the_exit_status_comes_back() {
    let home = Home::new();
    let mut term = wrapped(&home, "echo bye; exit 7", 24, 80);
    assert_eq!(term.wait_exit(T), Some(7));
    assert!(term.screen().contains("bye"));
}

#[test]
fn window_size_and_resizes_reach_the_program() {
    let home = Home::new();
    let term = wrapped(
        &home,
        "echo start $(stty size); trap 'echo now $(stty size)' WINCH; while :; do sleep 0.1; done",
        40,
        160,
    );
    term.wait_for_text("start 40 160", T);
    term.resize(30, 100);
    term.wait_for_text("now 30 100", T);
}

#[test]
fn the_users_terminal_is_raw_so_single_keys_pass_at_once() {
    let home = Home::new();
    // Without raw mode outside, the user's terminal would hold "x" until Enter.
    let term = wrapped(
        &home,
        "stty raw -echo; echo ready; dd bs=1 count=1 2>/dev/null | od -An -tx1; sleep 5",
        24,
        80,
    );
    term.wait_for_text("ready", T);
    term.type_text("x");
    term.wait_for_text("78", T);
}

#[test]
fn ctrl_c_reaches_the_program() {
    let home = Home::new();
    let mut term = wrapped(
        &home,
        "trap 'echo got-int' INT; echo ready; while :; do sleep 0.1; done",
        24,
        80,
    );
    term.wait_for_text("ready", T);
    term.type_text("\x03");
    term.wait_for_text("got-int", T);
    assert_eq!(
        term.wait_exit(Duration::from_millis(300)),
        None,
        "still running"
    );
}

#[test]
fn typed_text_reaches_the_program() {
    let home = Home::new();
    let term = wrapped(&home, "read line; echo \"got:$line\"; sleep 5", 24, 80);
    term.type_text("hello there");
    term.enter();
    term.wait_for_text("got:hello there", T);
}

#[test]
fn sigterm_to_the_wrapper_ends_the_program_and_reports_it() {
    let home = Home::new();
    let mut term = wrapped(&home, "echo ready; exec sleep 30", 24, 80);
    term.wait_for_text("ready", T);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(term.pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(term.wait_exit(T), Some(128 + 15));
}

#[test]
fn the_socket_is_private_and_a_later_daemon_finds_the_wrapper() {
    let home = Home::new();
    let mut term = wrapped(&home, "echo ready; sleep 30", 24, 80);
    term.wait_for_text("ready", T);
    let dir = home.paths().runtime_dir.join("wrappers");
    let mut sockets = Vec::new();
    support::home::wait_until(T, || {
        sockets = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        !sockets.is_empty()
    });
    assert_eq!(sockets.len(), 1);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&sockets[0]), 0o600);
    assert_eq!(mode(&dir), 0o700);

    home.start();
    support::home::wait_until(T, || home.log().contains("wrapper registered"));
    assert!(
        home.log()
            .contains(&format!("agent_pid={}", child_pid(term.pid)))
    );

    // The wrapper leaves with its program, removing its socket and telling the daemon.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(term.pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(term.wait_exit(T), Some(128 + 15));
    assert!(!sockets[0].exists());
    support::home::wait_until(T, || home.log().contains("wrapper gone"));
}

/// The wrapper's one child (the program it runs).
fn child_pid(wrapper: u32) -> u32 {
    let children = std::fs::read_to_string(format!("/proc/{wrapper}/task/{wrapper}/children"))
        .unwrap_or_default();
    children
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the wrapper runs its program")
}

//! Small helpers for readiness checks.

use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Polls `cond` every 20 ms until it holds (true) or `timeout` passes (false).
///
/// For readiness checks only (a port opening, a file appearing); wait on events where the code
/// under test offers them.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

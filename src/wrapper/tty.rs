//! The user's own terminal around the wrapper: raw mode while the agent runs (restored however the wrapper ends),
//! and its size.

use std::io::IsTerminal;

use nix::sys::termios::{self, SetArg, Termios};

/// Raw mode on stdin until dropped.
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// Put stdin in raw mode if it is a terminal; `None` when it is not (plain pipes pass through as they are).
    pub fn enable() -> Option<RawMode> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return None;
        }
        let saved = termios::tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(&stdin, SetArg::TCSANOW, &raw).ok()?;
        Some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin(), SetArg::TCSAFLUSH, &self.saved);
    }
}

/// `(rows, cols)` of the user's terminal (stdout, else stdin), or 24x80 when there is none.
pub fn size() -> (u16, u16) {
    terminal_size::terminal_size_of(std::io::stdout())
        .or_else(|| terminal_size::terminal_size_of(std::io::stdin()))
        .map(|(w, h)| (h.0.max(1), w.0.max(1)))
        .unwrap_or((24, 80))
}

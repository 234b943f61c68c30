//! The terminal during a live view: the alternate screen, a hidden cursor and keys read one at a time
//! without echo (when stdin is a terminal). Everything is restored when the guard drops, on `q`, Ctrl-C or an
//! error alike.

use std::io::{IsTerminal, Read, Write};

use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};
use tokio::sync::mpsc;

/// The terminal, set up for a live view until dropped.
pub struct LiveTerminal {
    saved: Option<Termios>,
}

impl LiveTerminal {
    pub fn enter() -> LiveTerminal {
        let stdin = std::io::stdin();
        let saved = stdin
            .is_terminal()
            .then(|| termios::tcgetattr(&stdin).ok())
            .flatten();
        if let Some(t) = &saved {
            let mut keys = t.clone();
            // Keys arrive one by one, unechoed; Ctrl-C still raises SIGINT.
            keys.local_flags
                .remove(LocalFlags::ICANON | LocalFlags::ECHO);
            keys.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
            keys.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
            let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, &keys);
        }
        write_out("\x1b[?1049h\x1b[?25l");
        LiveTerminal { saved }
    }

    /// A receiver that gets `()` when the user presses `q` (or Ctrl-D), if stdin is a terminal. The
    /// reading thread is left blocked in `read` at exit; it holds nothing.
    pub fn quit_keys(&self) -> Option<mpsc::Receiver<()>> {
        self.saved.as_ref()?;
        let (tx, rx) = mpsc::channel(1);
        std::thread::spawn(move || {
            let mut byte = [0u8; 1];
            while let Ok(1) = std::io::stdin().read(&mut byte) {
                if matches!(byte[0], b'q' | b'Q' | 0x03 | 0x04) {
                    let _ = tx.blocking_send(());
                    return;
                }
            }
        });
        Some(rx)
    }

    /// Draws `frame` over the previous one, cut to the terminal's size (what does not fit is left out, so
    /// the screen never scrolls).
    pub fn draw(&self, frame: &str) {
        let (width, height) = terminal_size::terminal_size()
            .map_or((usize::MAX, usize::MAX), |(w, h)| {
                (usize::from(w.0), usize::from(h.0))
            });
        let lines: Vec<String> = frame.lines().take(height).map(|l| cut(l, width)).collect();
        write_out(&format!("\x1b[H{}\x1b[K\x1b[J", lines.join("\x1b[K\r\n")));
    }
}

impl Drop for LiveTerminal {
    fn drop(&mut self) {
        write_out("\x1b[?25h\x1b[?1049l");
        if let Some(t) = &self.saved {
            let _ = termios::tcsetattr(std::io::stdin(), SetArg::TCSANOW, t);
        }
    }
}

fn write_out(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// `line` cut to `width` visible characters (escape sequences take no room); a cut styled line is reset.
fn cut(line: &str, width: usize) -> String {
    let (mut out, mut visible, mut in_escape) = (String::new(), 0, false);
    for c in line.chars() {
        if c == '\x1b' {
            in_escape = true;
        } else if in_escape {
            in_escape = !c.is_ascii_alphabetic();
        } else if visible == width {
            if line.contains('\x1b') {
                out.push_str("\x1b[0m");
            }
            return out;
        } else {
            visible += 1;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_are_cut_by_what_shows() {
        assert_eq!(super::cut("abcdef", 3), "abc");
        assert_eq!(super::cut("abc", 3), "abc");
        assert_eq!(super::cut("\x1b[31mabcdef\x1b[0m", 2), "\x1b[31mab\x1b[0m");
    }
}

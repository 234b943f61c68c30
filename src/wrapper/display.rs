//! The wrapper's view of the agent's output: every byte goes to the real terminal unchanged, and into an emulated
//! screen the daemon can read. The wrapper's own title (the resume countdown) is written only between escape
//! sequences, and written again when the agent sets a title of its own.

use std::io::Write;

/// Remembers the title the agent last set.
#[derive(Default)]
pub struct TitleWatch {
    agent_title: Option<String>,
    changed: bool,
}

impl vt100::Callbacks for TitleWatch {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.agent_title = Some(String::from_utf8_lossy(title).into_owned());
        self.changed = true;
    }
}

/// Where a byte stream stands: between sequences (where more bytes may be inserted) or inside one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Escape {
    #[default]
    Ground,
    /// After ESC.
    Esc,
    /// In a CSI sequence (`ESC [`), until its final byte.
    Csi,
    /// In an OSC / DCS / APC / PM / SOS string, until BEL or ST.
    Str,
    /// ESC inside a string (the start of ST).
    StrEsc,
    /// In a UTF-8 character with this many bytes to come.
    Utf8(u8),
}

impl Escape {
    fn feed(self, b: u8) -> Escape {
        use Escape::*;
        match self {
            Ground | Utf8(_) if b == 0x1b => Esc,
            Ground | Utf8(0) => match b {
                0xc0..=0xdf => Utf8(1),
                0xe0..=0xef => Utf8(2),
                0xf0..=0xf7 => Utf8(3),
                _ => Ground,
            },
            Utf8(n) if (0x80..0xc0).contains(&b) => {
                if n <= 1 {
                    Ground
                } else {
                    Utf8(n - 1)
                }
            }
            Utf8(_) => Ground.feed(b),
            Esc => match b {
                b'[' => Csi,
                b']' | b'P' | b'_' | b'^' | b'X' => Str,
                // Intermediate bytes (`ESC ( B`) keep the sequence open.
                0x20..=0x2f => Esc,
                _ => Ground,
            },
            Csi => match b {
                0x40..=0x7e => Ground,
                0x1b => Esc,
                _ => Csi,
            },
            Str => match b {
                0x07 => Ground,
                0x1b => StrEsc,
                _ => Str,
            },
            StrEsc => match b {
                b'\\' => Ground,
                _ => Str,
            },
        }
    }
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN)
}

/// The agent's output as the wrapper passes it on.
pub struct Display<W: Write> {
    out: W,
    parser: vt100::Parser<TitleWatch>,
    escape: Escape,
    /// The wrapper's title while the daemon has a plan.
    own_title: Option<String>,
    /// A title is waiting to be written at the next point between sequences.
    title_due: bool,
}

impl<W: Write> Display<W> {
    pub fn new(out: W, rows: u16, cols: u16) -> Self {
        Display {
            out,
            parser: vt100::Parser::new_with_callbacks(nz(rows), nz(cols), 0, TitleWatch::default()),
            escape: Escape::Ground,
            own_title: None,
            title_due: false,
        }
    }

    /// Pass a chunk of the agent's output on.
    pub fn output(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.parser.process(bytes);
        self.escape = bytes.iter().fold(self.escape, |s, b| s.feed(*b));
        self.out.write_all(bytes)?;
        let watch = self.parser.callbacks_mut();
        if std::mem::take(&mut watch.changed) && self.own_title.is_some() {
            self.title_due = true;
        }
        self.write_title_if_due()?;
        self.out.flush()
    }

    /// Show `title` (the daemon's plan), or with `None` give the title back to the agent.
    pub fn set_title(&mut self, title: Option<String>) -> std::io::Result<()> {
        if title == self.own_title {
            return Ok(());
        }
        self.own_title = title;
        self.title_due = true;
        self.write_title_if_due()?;
        self.out.flush()
    }

    fn write_title_if_due(&mut self) -> std::io::Result<()> {
        if !self.title_due || self.escape != Escape::Ground {
            return Ok(());
        }
        self.title_due = false;
        let title = self
            .own_title
            .clone()
            .or_else(|| self.parser.callbacks().agent_title.clone())
            .unwrap_or_default();
        let clean: String = title.chars().filter(|c| !c.is_control()).collect();
        write!(self.out, "\x1b]0;{clean}\x07")
    }

    /// The emulated screen's text.
    pub fn screen_text(&self) -> String {
        self.parser.screen().contents()
    }

    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.parser.screen_mut().set_size(nz(rows), nz(cols));
    }

    #[cfg(test)]
    fn written(&self) -> &W {
        &self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn display() -> Display<Vec<u8>> {
        Display::new(Vec::new(), 5, 40)
    }

    #[test]
    fn output_passes_through_unchanged_and_fills_the_screen() {
        let mut d = display();
        d.output(b"hello \x1b[1mworld\x1b[0m\r\n\xe2\x9d\xaf\xc2\xa0")
            .unwrap();
        assert_eq!(
            d.written(),
            b"hello \x1b[1mworld\x1b[0m\r\n\xe2\x9d\xaf\xc2\xa0"
        );
        assert!(d.screen_text().starts_with("hello world\n❯\u{a0}"));
    }

    #[test]
    fn the_title_waits_for_the_end_of_a_sequence() {
        let mut d = display();
        d.output(b"abc\x1b[3").unwrap();
        d.set_title(Some("palingenesis: resuming at 15:02".into()))
            .unwrap();
        assert_eq!(d.written(), b"abc\x1b[3", "not inside a CSI sequence");
        d.output(b"1m").unwrap();
        assert_eq!(
            d.written().as_slice(),
            b"abc\x1b[31m\x1b]0;palingenesis: resuming at 15:02\x07".as_slice()
        );
        // Nor inside a UTF-8 character.
        let mut d = display();
        d.output(b"\xe2\x9d").unwrap();
        d.set_title(Some("t".into())).unwrap();
        assert_eq!(d.written(), b"\xe2\x9d");
        d.output(b"\xaf").unwrap();
        assert_eq!(d.written(), b"\xe2\x9d\xaf\x1b]0;t\x07");
    }

    #[test]
    fn the_plan_title_wins_over_the_agents_until_cleared() {
        let mut d = display();
        d.output(b"\x1b]0;agent title\x07").unwrap();
        d.set_title(Some("plan".into())).unwrap();
        d.output(b"\x1b]2;agent again\x1b\\").unwrap();
        let text = String::from_utf8(d.written().clone()).unwrap();
        assert!(
            text.ends_with("\x1b]2;agent again\x1b\\\x1b]0;plan\x07"),
            "{text:?}"
        );
        d.set_title(None).unwrap();
        let text = String::from_utf8(d.written().clone()).unwrap();
        assert!(text.ends_with("\x1b]0;agent again\x07"), "{text:?}");
    }
}

//! A terminal for tests: runs a command on a pseudo-terminal owned by the test, emulates the screen
//! (`vt100`), answers the cursor-position and device-attribute queries a real terminal would, and
//! records the window titles the program sets.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

use super::wait::wait_until;

/// Records titles and queues answers to terminal queries.
#[derive(Default)]
struct Recorder {
    titles: Vec<String>,
    answers: Vec<Vec<u8>>,
}

impl vt100::Callbacks for Recorder {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles
            .push(String::from_utf8_lossy(title).into_owned());
    }

    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        match (i1, c, params) {
            // Cursor position report.
            (None, 'n', [[6]]) => {
                let (row, col) = screen.cursor_position();
                self.answers
                    .push(format!("\x1b[{};{}R", row + 1, col + 1).into_bytes());
            }
            // Primary and secondary device attributes.
            (None, 'c', _) => self.answers.push(b"\x1b[?1;2c".to_vec()),
            (Some(b'>'), 'c', _) => self.answers.push(b"\x1b[>0;0;0c".to_vec()),
            _ => {}
        }
    }
}

/// A program running on a test-owned pseudo-terminal.
pub struct PtyTerm {
    master: Box<dyn MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    parser: Arc<Mutex<vt100::Parser<Recorder>>>,
    child: Box<dyn Child + Send + Sync>,
    /// The pid of the program started on the terminal.
    pub pid: u32,
}

impl PtyTerm {
    /// Starts `program args` in `cwd` with exactly `env` on a `rows`x`cols` terminal.
    pub fn spawn(
        program: &Path,
        args: &[&str],
        cwd: &Path,
        env: &[(String, String)],
        rows: u16,
        cols: u16,
    ) -> PtyTerm {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.cwd(cwd);
        cmd.env_clear();
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn on the pty");
        drop(pair.slave);
        let pid = child.process_id().expect("pid");
        let writer = Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let parser = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
            0,
            Recorder::default(),
        )));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let (p, w) = (parser.clone(), writer.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let answers = {
                    let mut p = p.lock().unwrap();
                    p.process(&buf[..n]);
                    std::mem::take(&mut p.callbacks_mut().answers)
                };
                for a in answers {
                    let _ = w.lock().unwrap().write_all(&a);
                }
            }
        });
        PtyTerm {
            master: pair.master,
            writer,
            parser,
            child,
            pid,
        }
    }

    /// The screen's text.
    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// The screen with its attributes, as escape sequences (to see colours).
    pub fn formatted(&self) -> String {
        self.parser.lock().unwrap().screen().contents_formatted()
    }

    /// Every window title set so far.
    pub fn titles(&self) -> Vec<String> {
        self.parser.lock().unwrap().callbacks().titles.clone()
    }

    /// Types `text` (no Enter).
    pub fn type_text(&self, text: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(text.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    /// Presses Enter.
    pub fn enter(&self) {
        self.type_text("\r");
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    pub fn resize(&self, rows: u16, cols: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.parser.lock().unwrap().screen_mut().set_size(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
        );
    }

    /// Waits until the screen shows `needle`; panics with the screen after `timeout`.
    pub fn wait_for_text(&self, needle: &str, timeout: Duration) -> String {
        let mut screen = String::new();
        let found = wait_until(timeout, || {
            screen = self.screen();
            screen.contains(needle)
        });
        assert!(
            found,
            "the terminal never showed {needle:?} within {timeout:?}; screen:\n{screen}"
        );
        screen
    }

    /// Waits for the program to exit; its exit code (None on timeout).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<u32> {
        let mut code = None;
        wait_until(timeout, || {
            code = self.child.try_wait().ok().flatten().map(|s| s.exit_code());
            code.is_some()
        });
        code
    }
}

impl Drop for PtyTerm {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.wait_exit(Duration::from_secs(10));
        }
    }
}

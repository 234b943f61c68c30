//! The web dashboard end to end: the real daemon serves `GET /`, the system's headless Chromium loads it on a
//! phone-sized screen, signs in with the token, sees a session stop live (with a running countdown), and its
//! buttons change the daemon's state, checked through the CLI. Saves a screenshot under
//! `target/test-artifacts/dashboard.png`.
//!
//! Needs `chromium` and `tests/browser/node_modules` (playwright-core): `scripts/install-test-deps.sh`.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::home::{Home, KillOnDrop, free_port};

const TOKEN: &str = "dash-t0ken-9f3a";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// The driver's `step: …` lines, as they come, on a channel; everything it prints is kept for failures.
struct Driver {
    steps: mpsc::Receiver<String>,
    _child: KillOnDrop,
    output: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Driver {
    fn start(base: &str, session: &str, screenshot: &Path) -> Driver {
        assert!(
            browser_dir().join("node_modules/playwright-core").is_dir()
                && Path::new("/usr/bin/chromium").exists(),
            "chromium or tests/browser/node_modules is missing: run scripts/install-test-deps.sh"
        );
        let mut child = Command::new("node")
            .arg(browser_dir().join("dashboard.mjs"))
            .current_dir(browser_dir())
            .env("BASE_URL", base)
            .env("TOKEN", TOKEN)
            .env("SESSION", session)
            .env("SCREENSHOT", screenshot)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs");
        let (tx, steps) = mpsc::channel();
        let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let kept = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                kept.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(step) = line.strip_prefix("step: ") {
                    let _ = tx.send(step.to_string());
                }
            }
        });
        let kept = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                kept.lock().unwrap().push_str(&format!("stderr: {line}\n"));
            }
        });
        Driver {
            steps,
            _child: KillOnDrop(child),
            output,
        }
    }

    /// Wait for the driver to report `name` (a prefix of the step line); returns the whole line.
    fn expect(&self, name: &str, home: &Home) -> String {
        match self.steps.recv_timeout(Duration::from_secs(60)) {
            Ok(step) if step.starts_with(name) => step,
            got => panic!(
                "expected step {name}, got {got:?}\ndriver output:\n{}\ndaemon log:\n{}",
                self.output.lock().unwrap(),
                home.log()
            ),
        }
    }
}

#[test]
fn the_dashboard_shows_a_stop_live_and_its_buttons_steer_the_daemon() {
    let port = free_port();
    let home = Home::started_with_http(port, TOKEN);
    let base = format!("http://127.0.0.1:{port}");
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("dashboard.png");
    let _ = std::fs::remove_file(&screenshot);
    let session = "d45b0a7e-1c2f-4a3b-9c8d-0e1f2a3b4c5d";

    let driver = Driver::start(&base, session, &screenshot);
    driver.expect("sign-in-shown", &home);
    driver.expect("signed-in", &home);

    let reset = chrono::Utc::now().timestamp() + 3 * 3600;
    home.claude_api_error(
        session,
        "rate_limit",
        &format!("Claude AI usage limit reached|{reset}"),
    );
    let live = driver.expect("session-live", &home);
    assert!(live.contains(" in 3h") || live.contains(" in 2h"), "{live}");
    driver.expect("screenshot", &home);
    assert!(
        std::fs::metadata(&screenshot).unwrap().len() > 10_000,
        "the screenshot has content"
    );
    driver.expect("clicked", &home);
    driver.expect("done", &home);

    let status = home.ok(&["status"]);
    assert!(status.contains("PAUSED"), "{status}");
    let sessions = home.ok(&["sessions", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&sessions).unwrap();
    let ours = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"]["id"] == session)
        .unwrap_or_else(|| panic!("{sessions}"));
    assert_eq!(ours["state"], "stopped", "aborted from the page: {ours}");
    assert!(ours.get("next_action").is_none(), "{ours}");
    home.ok(&["daemon", "stop"]);
    assert!(!home.log().contains(TOKEN), "the token leaked into the log");
}

//! What the CLI shows a person, through the real binary: colour only where it belongs (a terminal, or
//! forced; NO_COLOR, CLICOLOR_FORCE and `--color`), times in the local zone with the zone shown (`--utc` for
//! UTC; JSON stays UTC), short unique session ids that are shown and accepted (an ambiguous one is an error
//! naming the candidates), and `--watch` views that stay current on a terminal and in a pipe.

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::home::{BIN, Home, KillOnDrop, wait_until};
use support::pty::PtyTerm;

const WAIT: Duration = Duration::from_secs(30);
const FIRST: &str = "7a1b2c3d-aaaa-4000-8000-000000000001";
const SECOND: &str = "7a1b2c3d-bbbb-4000-8000-000000000002";
const THIRD: &str = "0f0e0d0c-cccc-4000-8000-000000000003";
const ESC: &str = "\x1b[";

/// A daemon watching Claude (its `binary` a script that does nothing), with `TZ` set for every command.
fn daemon(tz: &str) -> Home {
    let home = Home::new().with_env("TZ", tz);
    let agent = home.dir.join("agent.sh");
    std::fs::write(&agent, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    home.write_config(&format!(
        "[monitoring]\nassistants = [\"claude\"]\n[claude]\nbinary = \"{}\"\n",
        agent.display()
    ));
    home.start();
    home
}

/// `session` hits a usage limit that resets in `secs`; returns once the daemon has scheduled its resume.
fn limited(home: &Home, session: &str, secs: i64) {
    let reset = chrono::Utc::now().timestamp() + secs;
    home.claude_api_error(
        session,
        "rate_limit",
        &format!("Claude AI usage limit reached|{reset}"),
    );
    wait_until(WAIT, || {
        home.events_of("ResumeScheduled")
            .iter()
            .any(|e| e["session"] == session)
    });
}

fn out(home: &Home, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = home.command(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{args:?}: {o:?}");
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn colour_follows_the_flag_then_no_color_then_clicolor_force_then_the_terminal() {
    let home = daemon("UTC");
    limited(&home, FIRST, 3 * 3600);
    let coloured = |env: &[(&str, &str)], args: &[&str]| out(&home, env, args).contains(ESC);

    assert!(!coloured(&[], &["sessions"]), "a pipe gets no colour");
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &["sessions"]));
    assert!(!coloured(
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
        &["sessions"]
    ));
    assert!(coloured(
        &[("NO_COLOR", "1")],
        &["--color", "always", "sessions"]
    ));
    assert!(!coloured(
        &[("CLICOLOR_FORCE", "1")],
        &["sessions", "--color=never"]
    ));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &["status"]));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &["events"]));
    for json in [
        &["sessions", "--json"][..],
        &["status", "--json"],
        &["events", "--json"],
    ] {
        let text = out(&home, &[], &[&["--color", "always"], json].concat());
        assert!(!text.contains(ESC), "{json:?} is never coloured: {text}");
    }

    // clap's own help follows the same rules.
    assert!(coloured(&[], &["--color", "always", "--help"]));
    assert!(coloured(
        &[("CLICOLOR_FORCE", "1")],
        &["sessions", "--help"]
    ));
    assert!(!coloured(
        &[("CLICOLOR_FORCE", "1")],
        &["--color=never", "--help"]
    ));
    assert!(!coloured(&[], &["--help"]));

    // On a terminal, colour is on by itself, and NO_COLOR turns it off.
    let term = terminal(&home, &[], &["sessions"]);
    term.wait_for_text("waiting", WAIT);
    wait_until(WAIT, || term.formatted().contains("\x1b[33m"));
    let mut term = terminal(&home, &[("NO_COLOR", "1")], &["sessions"]);
    term.wait_for_text("waiting", WAIT);
    assert_eq!(term.wait_exit(WAIT), Some(0));
    assert!(
        !term.formatted().contains("\x1b[33m"),
        "{}",
        term.formatted()
    );
}

#[test]
fn times_are_local_with_the_zone_shown_and_utc_on_request() {
    let home = daemon("Asia/Kolkata");
    limited(&home, FIRST, 3 * 3600);

    let sessions = out(&home, &[], &["sessions"]);
    assert!(
        sessions.contains(" IST (in 2h") || sessions.contains(" IST (in 3h"),
        "{sessions}"
    );
    let status = out(&home, &[], &["status"]);
    assert!(status.contains("+05:30"), "{status}");
    assert!(
        status.contains("next action: ") && status.contains(" IST (in "),
        "{status}"
    );
    let events = out(&home, &[], &["events"]);
    assert!(events.lines().all(|l| l.contains("+05:30")), "{events}");

    let utc = out(&home, &[], &["--utc", "sessions"]);
    assert!(utc.contains(" UTC (in ") && !utc.contains("IST"), "{utc}");
    let events = out(&home, &[], &["events", "--utc"]);
    assert!(events.lines().all(|l| l.contains(" UTC ")), "{events}");

    // `inspect` of the transcript says when it would resume, in the same zone.
    let transcript = home
        .user_home()
        .join(format!(".claude/projects/-work/{FIRST}.jsonl"));
    let transcript = transcript.to_str().unwrap();
    let inspected = out(&home, &[], &["inspect", transcript]);
    let plan = inspected.lines().find(|l| l.starts_with("plan:")).unwrap();
    assert!(plan.contains(" IST (in "), "{inspected}");

    // JSON stays RFC 3339 UTC whatever the zone.
    let json: serde_json::Value =
        serde_json::from_str(&out(&home, &[], &["sessions", "--json"])).unwrap();
    let at = json["sessions"][0]["next_action"]["at"].as_str().unwrap();
    assert!(at.ends_with('Z'), "{at}");
    let json: serde_json::Value =
        serde_json::from_str(&out(&home, &[], &["inspect", transcript, "--json"])).unwrap();
    let at = json["plan"]["at"].as_str().unwrap();
    assert!(at.ends_with('Z'), "{at}");
}

#[test]
fn short_unique_ids_are_shown_and_accepted_and_an_ambiguous_one_names_the_candidates() {
    let home = daemon("UTC");
    for id in [FIRST, SECOND, THIRD] {
        limited(&home, id, 3 * 3600);
    }
    let table = out(&home, &[], &["sessions"]);
    for shown in [
        "claude:7a1b2c3d-a ",
        "claude:7a1b2c3d-b ",
        "claude:0f0e0d0c ",
    ] {
        assert!(table.contains(shown), "{shown} in:\n{table}");
    }
    assert!(!table.contains(FIRST), "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");

    let (code, stdout, err) = home.run(&["skip", "7a1b"]);
    assert_eq!(code, 1, "{stdout}{err}");
    assert!(err.contains("`7a1b` matches 2 sessions"), "{err}");
    assert!(
        err.contains("7a1b2c3d-a (claude)") && err.contains("7a1b2c3d-b (claude)"),
        "{err}"
    );
    assert!(home.events_of("ResumeStarted").is_empty());

    let events = out(
        &home,
        &[],
        &["events", "--session", "claude:7a1b2c3d-b", "--json"],
    );
    assert!(!events.is_empty(), "a shown prefix filters events");
    assert!(events.lines().all(|l| l.contains(SECOND)), "{events}");
    let (code, _, err) = home.run(&["events", "--session", "7a1b"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("matches 2 sessions"), "{err}");

    let inspected = out(&home, &[], &["inspect", "7a1b2c3d-b"]);
    assert!(
        inspected.contains(&format!("claude:{SECOND}")),
        "{inspected}"
    );

    let done = out(&home, &[], &["skip", "7a1b2c3d-a"]);
    assert!(done.contains("started"), "{done}");
    let started = home.wait_event("ResumeStarted");
    assert_eq!(started["session"], FIRST, "{started}");
}

/// `palingenesis args` on a 12x100 xterm, with `env` added to the home's.
fn terminal(home: &Home, env: &[(&str, &str)], args: &[&str]) -> PtyTerm {
    let mut all = home.env.clone();
    all.push(("TERM".into(), "xterm-256color".into()));
    all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    PtyTerm::spawn(Path::new(BIN), args, &home.dir, &all, 12, 100)
}

/// The countdown on the screen, e.g. `in 29m 58s`.
fn countdown(screen: &str) -> Option<String> {
    let start = screen.find("(in ")?;
    let end = start + screen[start..].find(')')?;
    Some(screen[start + 1..end].to_string())
}

#[test]
fn sessions_watch_ticks_shows_new_sessions_as_they_come_and_quits_on_q() {
    let home = daemon("Asia/Kolkata");
    limited(&home, FIRST, 1800);
    let mut term = terminal(&home, &[], &["sessions", "--watch"]);
    let first = term.wait_for_text("q to quit", WAIT);
    assert!(first.contains("claude:7a1b2c3d"), "{first}");
    let shown = countdown(&first).unwrap_or_else(|| panic!("a countdown: {first}"));
    wait_until(WAIT, || {
        countdown(&term.screen()).is_some_and(|c| c != shown)
    });

    limited(&home, THIRD, 1800);
    term.wait_for_text("claude:0f0e0d0c", WAIT);

    term.type_text("q");
    assert_eq!(term.wait_exit(WAIT), Some(0));
    let after = term.screen();
    assert!(
        !after.contains("q to quit"),
        "the alternate screen is left: {after}"
    );

    // Ctrl-C ends `status --watch` as cleanly.
    let mut term = terminal(&home, &[], &["status", "--watch"]);
    let shown = term.wait_for_text("next action: ", WAIT);
    assert!(
        shown.contains("palingenesis status") && shown.contains(" IST (in "),
        "{shown}"
    );
    term.type_text("\x03");
    assert_eq!(term.wait_exit(WAIT), Some(0));
    assert!(!term.screen().contains("q to quit"), "{}", term.screen());
}

/// A `--watch` whose stdout is a pipe the test reads as it fills.
struct Piped {
    child: KillOnDrop,
    seen: Arc<Mutex<String>>,
}

impl Piped {
    fn start(home: &Home, args: &[&str]) -> Piped {
        let mut child = KillOnDrop(home.command(args).stdout(Stdio::piped()).spawn().unwrap());
        let seen = Arc::new(Mutex::new(String::new()));
        let reader = BufReader::new(child.0.stdout.take().unwrap());
        let sink = seen.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Piped { child, seen }
    }

    fn wait_for(&self, needle: &str) -> String {
        wait_until(WAIT, || self.seen.lock().unwrap().contains(needle));
        self.seen.lock().unwrap().clone()
    }

    /// SIGINT; it must exit 0.
    fn interrupt(mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.0.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
        let mut status = None;
        wait_until(WAIT, || {
            status = self.child.0.try_wait().unwrap();
            status.is_some()
        });
        assert!(status.unwrap().success(), "{status:?}");
    }
}

#[test]
fn status_watch_into_a_pipe_prints_a_snapshot_per_change_and_ends_on_sigint() {
    let (code, _, err) = Home::new().run(&["sessions", "--watch"]);
    assert_eq!(code, 3, "no daemon: {err}");
    assert!(err.contains("palingenesis daemon start"), "{err}");

    let home = daemon("UTC");
    let watch = Piped::start(&home, &["status", "--watch"]);
    watch.wait_for("monitoring");
    home.ok(&["pause"]);
    let text = watch.wait_for("PAUSED");
    assert!(
        text.matches("── status at ").count() >= 2,
        "one per change:\n{text}"
    );
    assert!(!text.contains(ESC), "{text}");
    watch.interrupt();

    // With --json, one JSON object per line.
    let watch = Piped::start(&home, &["sessions", "--watch", "--json"]);
    let first = watch.wait_for("\n");
    let list: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert!(list["sessions"].is_array(), "{first}");
    limited(&home, FIRST, 3600);
    let text = watch.wait_for(FIRST);
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["sessions"][0]["key"]["id"], FIRST, "{text}");
    watch.interrupt();
}

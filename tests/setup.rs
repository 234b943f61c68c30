//! `palingenesis setup`, driven through the real binary in an isolated home: with the real assistant clients on
//! PATH, with none, as a dry run, and on a terminal answering its questions.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use support::clients;
use support::home::{BIN, Home};
use support::pty::PtyTerm;

/// A home whose PATH is `bin` (then the system's, for `node`), with the user's config below its own home.
fn home_with_bin() -> (Home, PathBuf) {
    let home = Home::new();
    let bin = home.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let config_home = home.user_home().join(".config");
    let home = home
        .with_env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .with_env("XDG_CONFIG_HOME", config_home.display().to_string());
    (home, bin)
}

/// The real clients (the pinned ones in tests/clients), each under its own name in `bin`.
fn link_real_clients(bin: &Path) {
    for (name, target) in [
        ("claude", clients::claude_bin()),
        ("codex", clients::codex_bin()),
        ("opencode", clients::opencode_bin()),
        ("qwen", clients::qwen_bin()),
        ("gemini", clients::gemini_bin()),
    ] {
        std::os::unix::fs::symlink(target, bin.join(name)).unwrap();
    }
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

/// The steps of a `setup --json` answer as (step, assistant or "", outcome).
fn steps(v: &Value) -> Vec<(String, String, String)> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_string(),
                s["assistant"].as_str().unwrap_or_default().to_string(),
                s["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every file below `dir`, with its content.
/// Every file below `dir` with its content, but the clients' own scratch files: asked for its version, Gemini
/// CLI writes `projects.json.<uuid>.tmp` files in its home, some left behind, some still in flight.
fn files_below(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "tmp") {
                continue;
            }
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => {
                    if let Ok(content) = std::fs::read(&p) {
                        out.insert(p, content);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn with_the_real_clients_it_sets_up_everything_then_says_it_already_is() {
    let (home, bin) = home_with_bin();
    link_real_clients(&bin);
    let url = "http://127.0.0.1:9/palingenesis";
    let out = home.ok(&["setup", "--yes", "--notify", url, "--json"]);
    let v = json(&out);
    assert_eq!(v["ok"], true, "{v:#}");
    let found: Vec<&str> = v["assistants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["found"] == true)
        .map(|a| a["assistant"].as_str().unwrap())
        .collect();
    assert_eq!(found.len(), 5, "every real client is found: {v:#}");
    for native in ["claude", "codex"] {
        let a = v["assistants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["assistant"] == native)
            .unwrap();
        assert_eq!(a["in_tested_range"], true, "the pinned {native}: {a:#}");
    }
    let steps_done = steps(&v);
    for want in [
        ("hooks", "claude"),
        ("mcp", "claude"),
        ("mcp", "codex"),
        ("mcp", "opencode"),
        ("mcp", "qwen"),
        ("mcp", "gemini"),
        ("service", ""),
        ("notify", ""),
    ] {
        assert!(
            steps_done
                .iter()
                .any(|(s, a, o)| (s.as_str(), a.as_str()) == want && o == "done"),
            "{want:?} done: {steps_done:?}"
        );
    }
    let settings = std::fs::read_to_string(home.user_home().join(".claude/settings.json")).unwrap();
    assert!(settings.contains("hook claude"), "{settings}");
    let config = std::fs::read_to_string(home.paths().config_file).unwrap();
    assert!(config.contains(url), "{config}");
    // The installers' own status commands see what setup did.
    let hooks = json(&home.ok(&["hooks", "status", "--json"]));
    assert_eq!(hooks["installations"][0]["installed"], "yes", "{hooks:#}");
    let mcp = json(&home.ok(&["mcp", "status", "--json"]));
    let all = mcp["installations"].as_array().unwrap();
    assert_eq!(all.len(), 5, "{mcp:#}");
    assert!(all.iter().all(|i| i["installed"] == "yes"), "{mcp:#}");

    let before = files_below(&home.dir);
    let again = home.ok(&["setup", "--yes", "--notify", url]);
    assert!(again.contains("everything is already set up"), "{again}");
    assert!(!again.contains("done:"), "{again}");
    assert_eq!(
        files_below(&home.dir),
        before,
        "a second run changes nothing"
    );
}

#[test]
fn with_no_assistant_installed_it_offers_only_what_needs_none() {
    let (home, _bin) = home_with_bin();
    let v = json(&home.ok(&["setup", "--yes", "--no-service", "--json"]));
    assert!(
        v["assistants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["found"] == false),
        "{v:#}"
    );
    assert_eq!(
        steps(&v),
        [
            ("service".into(), String::new(), "skipped".into()),
            ("notify".into(), String::new(), "skipped".into())
        ],
        "{v:#}"
    );
    assert!(!home.user_home().join(".claude").exists());
    assert!(!home.user_home().join(".claude.json").exists());
    assert!(!home.paths().config_file.exists());
    // Naming an assistant installs its hooks even when its binary is not here (yet).
    let v = json(&home.ok(&[
        "setup",
        "--hooks",
        "claude",
        "--mcp",
        "none",
        "--no-service",
        "--json",
    ]));
    assert_eq!(
        steps(&v)[0],
        ("hooks".into(), "claude".into(), "done".into()),
        "{v:#}"
    );
    // An unknown name is refused before anything is done.
    let (code, _, err) = home.run(&["setup", "--mcp", "nosuch"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown assistant `nosuch`"), "{err}");
}

#[test]
fn a_dry_run_changes_nothing_and_says_what_it_would_do() {
    let (home, bin) = home_with_bin();
    std::os::unix::fs::symlink(clients::claude_bin(), bin.join("claude")).unwrap();
    let before = files_below(&home.dir);
    let args = [
        "setup",
        "--dry-run",
        "--yes",
        "--notify",
        "https://ntfy.sh/topic",
        "--json",
    ];
    let v = json(&home.ok(&args));
    assert_eq!(v["dry_run"], true);
    let s = steps(&v);
    for want in [
        ("hooks", "claude"),
        ("mcp", "claude"),
        ("service", ""),
        ("notify", ""),
    ] {
        assert!(
            s.iter()
                .any(|(st, a, o)| (st.as_str(), a.as_str()) == want && o == "would_do"),
            "{want:?}: {s:?}"
        );
    }
    let notify = &v["steps"].as_array().unwrap().last().unwrap()["detail"];
    assert_eq!(notify, "would set notifications.ntfy_url", "{v:#}");
    assert_eq!(files_below(&home.dir), before, "a dry run writes nothing");
    // Without --yes, what it would ask.
    let out = home.ok(&["setup", "--dry-run"]);
    assert!(
        out.contains("would ask: Install hooks for claude?"),
        "{out}"
    );
    assert_eq!(files_below(&home.dir), before);
}

#[test]
fn on_a_terminal_it_asks_each_step_and_does_what_was_answered() {
    let (home, bin) = home_with_bin();
    std::os::unix::fs::symlink(clients::claude_bin(), bin.join("claude")).unwrap();
    let mut env = home.env.clone();
    env.push(("TERM".into(), "xterm".into()));
    let mut term = PtyTerm::spawn(Path::new(BIN), &["setup"], &home.dir, &env, 40, 160);
    let wait = Duration::from_secs(30);
    term.wait_for_text("Install hooks for claude? [Y/n]", wait);
    term.enter();
    term.wait_for_text(
        "Register the palingenesis MCP server with claude? [Y/n]",
        wait,
    );
    term.type_text("n");
    term.enter();
    term.wait_for_text("user service? [Y/n]", wait);
    term.type_text("no");
    term.enter();
    term.wait_for_text("Notification URL", wait);
    term.type_text("http://127.0.0.1:9/hook");
    term.enter();
    assert_eq!(term.wait_exit(wait), Some(0), "{}", term.screen());
    let screen = term.screen();
    assert!(screen.contains("hooks claude     done"), "{screen}");
    assert!(
        screen.contains("mcp claude       skipped: declined"),
        "{screen}"
    );
    assert!(
        screen.contains("service          skipped: declined"),
        "{screen}"
    );
    let settings = std::fs::read_to_string(home.user_home().join(".claude/settings.json")).unwrap();
    assert!(settings.contains("hook claude"), "{settings}");
    assert!(!home.user_home().join(".claude.json").exists());
    let config = std::fs::read_to_string(home.paths().config_file).unwrap();
    assert!(
        config.contains("webhook_url = \"http://127.0.0.1:9/hook\""),
        "{config}"
    );
}

/// Each adapter's tested range ends at the client pinned in tests/clients/package.json (what the suite runs), so
/// `setup` and `doctor` never call a version tested that the suite does not run.
#[test]
fn tested_ranges_end_at_the_pinned_clients() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/package.json");
    let pins: Value = serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    for adapter in palingenesis::assistants::all() {
        let name = adapter.assistant();
        let range = adapter
            .tested_versions()
            .unwrap_or_else(|| panic!("{name} has no tested range"));
        let pinned = pins["dependencies"][range.package].as_str();
        assert_eq!(pinned, Some(range.newest), "{name}: {range:?}");
        let version = palingenesis::adapter::Version::parse;
        assert!(version(range.oldest) <= version(range.newest), "{range:?}");
        assert!(version(range.oldest).is_some(), "{range:?}");
    }
}

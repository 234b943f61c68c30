//! `palingenesis doctor`, driven through the real binary in an isolated home with fake assistant binaries.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::home::Home;

/// An executable shell script `name` in `dir`.
fn script(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A home whose PATH is `bin` then the system's, with services written below its own user home.
fn home_with_bin() -> (Home, std::path::PathBuf, String) {
    let home = Home::new();
    let bin = home.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let config_home = home.user_home().join(".config");
    let home = home
        .with_env("PATH", &path)
        .with_env("XDG_CONFIG_HOME", config_home.display().to_string());
    (home, bin, path)
}

fn line<'a>(out: &'a str, start: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting with {start:?} in:\n{out}"))
}

#[test]
fn a_healthy_setup_passes_and_names_what_it_checked() {
    let (home, bin, path) = home_with_bin();
    script(&bin, "claude", "echo '2.1.332 (Claude Code)'");
    // An assistant whose `--version` never answers: reported, never waited for.
    script(&bin, "codex", "exec sleep 30");
    home.write_config(&format!(
        "[codex]\nbinary = \"{}\"\n",
        bin.join("codex").display()
    ));
    home.ok(&["hooks", "install", "claude"]);
    home.ok(&["service", "install"]);
    home.start();
    let pid = home.daemon_pid();

    let out = home.ok(&["doctor"]);
    assert!(line(&out, "ok   config").contains("loads"), "{out}");
    let claude = line(&out, "ok   claude  ");
    assert!(
        claude.contains("version 2.1.332 (Claude Code), tested 2.1.197 to 2.1.332"),
        "{out}"
    );
    assert!(claude.contains(&bin.join("claude").display().to_string()));
    assert!(
        line(&out, "ok   claude hooks").contains("installed in"),
        "{out}"
    );
    assert!(
        line(&out, "warn claude mcp").contains("palingenesis mcp install claude"),
        "{out}"
    );
    assert!(
        line(&out, "warn codex  ").contains("gave no answer in 3s"),
        "{out}"
    );
    assert!(
        line(&out, "ok   daemon").contains(&format!("running (pid {pid}, version")),
        "{out}"
    );
    let service = line(&out, "ok   service");
    assert!(
        service.contains(&format!("its PATH: {path}")),
        "the PATH the service runs with: {out}"
    );
    assert!(
        !out.contains("claude service"),
        "the service finds claude: {out}"
    );
    assert!(line(&out, "ok   http").contains("disabled"), "{out}");
    assert!(
        line(&out, "ok   time zones").contains("zoneinfo in /"),
        "{out}"
    );
    assert!(!out.contains("FAIL"), "{out}");
}

#[test]
fn a_missing_configured_binary_fails_with_the_fix_and_json_parses() {
    let (home, bin, _) = home_with_bin();
    home.write_config("[claude]\nbinary = \"/nonexistent/claude\"\n");
    // The service was installed from a shell whose PATH lacked `bin`, where qwen now lives.
    let installed = home
        .command(&["service", "install"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(installed.status.success(), "{installed:?}");
    script(&bin, "qwen", "echo 0.24.4");

    let (code, out, err) = home.run(&["doctor"]);
    assert_eq!(code, 1, "a broken setup exits non-zero:\n{out}\n{err}");
    let claude = line(&out, "FAIL claude  ");
    assert!(
        claude.contains("`/nonexistent/claude`: no such file"),
        "{out}"
    );
    assert!(
        claude.contains("set `claude.binary` to where it is"),
        "{out}"
    );
    assert!(
        line(&out, "warn qwen service").contains("palingenesis service install"),
        "{out}"
    );
    assert!(
        line(&out, "warn daemon").contains("palingenesis daemon start"),
        "{out}"
    );

    let (code, out, _) = home.run(&["doctor", "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("doctor --json prints JSON");
    assert_eq!(v["ok"], false);
    let checks = v["checks"].as_array().unwrap();
    let claude = checks.iter().find(|c| c["name"] == "claude").unwrap();
    assert_eq!(claude["level"], "fail");
    assert!(claude["fix"].as_str().unwrap().contains("claude.binary"));
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "daemon" && c["level"] == "warn")
    );
}

#[test]
fn hooks_show_as_installed_after_install_and_not_after_uninstall() {
    let (home, bin, _) = home_with_bin();
    script(&bin, "claude", "echo '2.1.332 (Claude Code)'");
    let out = home.run(&["doctor"]).1;
    assert!(
        line(&out, "warn claude hooks").contains("not installed in"),
        "{out}"
    );
    home.ok(&["hooks", "install", "claude"]);
    let out = home.run(&["doctor"]).1;
    assert!(
        line(&out, "ok   claude hooks").contains("installed in"),
        "{out}"
    );
    home.ok(&["hooks", "uninstall", "claude"]);
    let out = home.run(&["doctor"]).1;
    assert!(
        line(&out, "warn claude hooks").contains("palingenesis hooks install claude"),
        "{out}"
    );
    // A hook entry in the settings that is someone else's text is not taken for ours.
    let settings = home.user_home().join(".claude/settings.json");
    std::fs::write(
        &settings,
        r#"{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"echo palingenesis"}]}]}}"#,
    )
    .unwrap();
    let out = home.run(&["doctor"]).1;
    assert!(
        line(&out, "warn claude hooks").contains("not installed"),
        "{out}"
    );
}

#[test]
fn a_version_outside_the_tested_range_is_a_warning_with_the_range() {
    let (home, bin, _) = home_with_bin();
    script(&bin, "codex", "echo 'codex-cli 0.99.0'");
    let out = home.run(&["doctor"]).1;
    assert!(
        line(&out, "warn codex  ")
            .contains("version 0.99.0 is outside the tested range 0.169.0 to 0.171.0"),
        "{out}"
    );
}

#[test]
fn an_unreachable_notification_channel_fails_without_anything_sent() {
    let (home, _, _) = home_with_bin();
    // A port nothing listens on: bound, then closed.
    let port = support::wait::free_port();
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let reachable = open.local_addr().unwrap().port();
    home.write_config(&format!(
        "[notifications]\nwebhook_url = \"http://127.0.0.1:{port}/secret-path\"\n\
         ntfy_url = \"http://127.0.0.1:{reachable}/topic\"\n"
    ));
    let (code, out, err) = home.run(&["doctor"]);
    assert_eq!(code, 1, "{out}{err}");
    let webhook = line(&out, "FAIL notify webhook");
    assert!(
        webhook.contains(&format!("127.0.0.1:{port} unreachable")),
        "{out}"
    );
    assert!(
        !out.contains("secret-path"),
        "only the host and port are shown: {out}"
    );
    assert!(
        line(&out, "ok   notify ntfy").contains(&format!("127.0.0.1:{reachable} reachable")),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(&home.run(&["doctor", "--json"]).1).unwrap();
    let check = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "notify webhook")
        .unwrap()
        .clone();
    assert_eq!(check["level"], "fail", "{check}");
    // The reachable channel was connected to, and sent nothing.
    let (mut probe, _) = open.accept().unwrap();
    let mut sent = Vec::new();
    std::io::Read::read_to_end(&mut probe, &mut sent).unwrap();
    assert!(sent.is_empty(), "the probe sent {sent:?}");
}

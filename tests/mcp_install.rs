//! `palingenesis mcp install|uninstall <assistant>` end to end: each assistant's own configuration file is
//! edited in place (everything else kept, a backup made, unparseable files refused), and the real `claude`
//! then lists the server as connected.

mod support;

use std::path::{Path, PathBuf};

use support::clients;
use support::home::Home;

/// A palingenesis home whose assistants keep their configuration under its user home.
fn home() -> (Home, PathBuf) {
    let home = Home::new();
    let user = home.user_home();
    let home = home
        .with_env("CLAUDE_CONFIG_DIR", user.display().to_string())
        .with_env("CODEX_HOME", user.join(".codex").display().to_string())
        .with_env("QWEN_HOME", user.join(".qwen").display().to_string())
        .with_env("GEMINI_CLI_HOME", user.display().to_string())
        .with_env(
            "XDG_CONFIG_HOME",
            user.join(".config").display().to_string(),
        );
    (home, user)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn backups_of(path: &Path) -> usize {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter(|e| {
            let n = e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .into_owned();
            n.starts_with(&format!("{name}.palingenesis-")) && n.ends_with(".bak")
        })
        .count()
}

/// Install, install again, uninstall, uninstall again; `check` sees the file after install.
fn round_trip(home: &Home, assistant: &str, file: &Path, check: impl Fn(&str)) {
    let before = read(file);
    let out = home.ok(&["mcp", "install", assistant]);
    assert!(
        out.contains("installed the palingenesis MCP server"),
        "{out}"
    );
    assert!(out.contains("previous file kept at"), "{out}");
    check(&read(file));
    let out = home.ok(&["mcp", "install", assistant]);
    assert!(out.contains("already installed in"), "{out}");
    let out = home.ok(&["mcp", "uninstall", assistant]);
    assert!(out.contains("removed the palingenesis MCP server"), "{out}");
    assert!(!read(file).contains("palingenesis"), "{}", read(file));
    let out = home.ok(&["mcp", "uninstall", assistant]);
    assert!(out.contains("not installed in"), "{out}");
    assert_eq!(
        backups_of(file),
        2,
        "one backup per change of {}",
        file.display()
    );
    if file.extension().is_some_and(|e| e == "toml") {
        assert_eq!(read(file), before, "a TOML file is restored exactly");
    }
}

#[test]
fn mcp_install_writes_each_assistants_own_config_and_uninstall_reverses_it() {
    let (home, user) = home();
    let bin = env!("CARGO_BIN_EXE_palingenesis");

    let claude = user.join(".claude.json");
    write(
        &claude,
        r#"{"hasCompletedOnboarding": true, "mcpServers": {"other": {"command": "x"}}}"#,
    );
    round_trip(&home, "claude", &claude, |text| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["hasCompletedOnboarding"], true);
        assert_eq!(v["mcpServers"]["other"]["command"], "x");
        assert_eq!(v["mcpServers"]["palingenesis"]["command"], bin);
        assert_eq!(v["mcpServers"]["palingenesis"]["args"][0], "mcp");
        assert_eq!(
            v["mcpServers"]["palingenesis"]["env"]["PALINGENESIS_HOME"],
            home.palingenesis_home(),
            "the server finds the same daemon"
        );
    });

    let codex = user.join(".codex/config.toml");
    write(
        &codex,
        "# my settings\nmodel = \"gpt-5\"  # keep this comment\n\n[mcp_servers.docs]\ncommand = \"docs-server\"\n",
    );
    round_trip(&home, "codex", &codex, |text| {
        assert!(
            text.starts_with("# my settings\nmodel = \"gpt-5\"  # keep this comment\n"),
            "{text}"
        );
        let v: toml::Table = text.parse().unwrap();
        assert_eq!(
            v["mcp_servers"]["palingenesis"]["command"].as_str(),
            Some(bin)
        );
        assert_eq!(
            v["mcp_servers"]["docs"]["command"].as_str(),
            Some("docs-server")
        );
    });

    let opencode = user.join(".config/opencode/opencode.json");
    write(&opencode, r#"{"model": "x/m"}"#);
    round_trip(&home, "opencode", &opencode, |text| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["model"], "x/m");
        assert_eq!(v["mcp"]["palingenesis"]["type"], "local");
        assert_eq!(v["mcp"]["palingenesis"]["command"][0], bin);
        assert_eq!(v["mcp"]["palingenesis"]["command"][1], "mcp");
    });

    let qwen = user.join(".qwen/settings.json");
    write(&qwen, r#"{"ui": {"theme": "dark"}}"#);
    round_trip(&home, "qwen", &qwen, |text| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["ui"]["theme"], "dark");
        assert_eq!(v["mcpServers"]["palingenesis"]["command"], bin);
    });

    let gemini = user.join(".gemini/settings.json");
    write(
        &gemini,
        r#"{"security": {"auth": {"selectedType": "gemini-api-key"}}}"#,
    );
    round_trip(&home, "gemini", &gemini, |text| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["security"]["auth"]["selectedType"], "gemini-api-key");
        assert_eq!(v["mcpServers"]["palingenesis"]["command"], bin);
        assert_eq!(v["mcpServers"]["palingenesis"]["args"][0], "mcp");
    });
}

#[test]
fn mcp_install_refuses_files_it_cannot_parse_and_creates_missing_ones() {
    let (home, user) = home();
    let qwen = user.join(".qwen/settings.json");
    write(&qwen, "{ \"ui\": ");
    let (code, out, err) = home.run(&["mcp", "install", "qwen"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        err.contains("cannot be parsed") && err.contains("settings.json"),
        "{err}"
    );
    assert_eq!(read(&qwen), "{ \"ui\": ", "left as it was");

    let codex = user.join(".codex/config.toml");
    write(&codex, "model = \n");
    let (code, _, err) = home.run(&["mcp", "install", "codex"]);
    assert_ne!(code, 0);
    assert!(err.contains("config.toml"), "{err}");
    assert_eq!(read(&codex), "model = \n");

    let opencode = user.join(".config/opencode/opencode.json");
    assert!(!opencode.exists());
    home.ok(&["mcp", "install", "opencode"]);
    assert!(read(&opencode).contains("\"local\""));
    assert_eq!(backups_of(&opencode), 0, "nothing to back up");
}

#[test]
fn claude_mcp_list_shows_palingenesis_connected_after_mcp_install() {
    let claude = clients::claude("http://127.0.0.1:9").build();
    let home = Home::new()
        .with_env("HOME", claude.sandbox.home.display().to_string())
        .with_env("CLAUDE_CONFIG_DIR", "");
    home.start();
    home.ok(&["mcp", "install", "claude"]);
    let out = claude.command(&["mcp", "list"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("palingenesis"))
        .unwrap_or_else(|| {
            panic!(
                "palingenesis not listed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(line.contains("Connected"), "{line}");
    home.ok(&["mcp", "uninstall", "claude"]);
    let out = claude.command(&["mcp", "list"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("palingenesis"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn gemini_mcp_list_shows_palingenesis_connected_after_mcp_install() {
    let gemini = clients::gemini("http://127.0.0.1:9").build();
    let home = Home::new()
        .with_env("HOME", gemini.sandbox.home.display().to_string())
        .with_env("GEMINI_CLI_HOME", "");
    home.start();
    home.ok(&["mcp", "install", "gemini"]);
    let listed = |gemini: &clients::Gemini| {
        let out = gemini.command(&["mcp", "list"]).output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let text = listed(&gemini);
    let line = text
        .lines()
        .find(|l| l.contains("palingenesis:"))
        .unwrap_or_else(|| panic!("palingenesis not listed:\n{text}"));
    assert!(line.contains("Connected"), "{line}");
    // What was there before stays.
    let settings = read(&gemini.gemini_dir.join("settings.json"));
    assert!(settings.contains("gemini-api-key"), "{settings}");
    home.ok(&["mcp", "uninstall", "gemini"]);
    assert!(!listed(&gemini).contains("palingenesis:"));
}

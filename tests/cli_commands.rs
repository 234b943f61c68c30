//! CLI commands that work on files (config, hooks, classify, inspect, events, completions, man), driven
//! through the real binary in an isolated home.

mod support;

use std::os::unix::fs::PermissionsExt;

use std::time::Duration;

use support::home::{Home, wait_until};

#[test]
fn config_init_show_validate_set() {
    let home = Home::new();
    let cfg = home.paths().config_file;
    home.ok(&["config", "init"]);
    assert_eq!(
        std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (code, _, err) = home.run(&["config", "init"]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    assert!(home.ok(&["config", "validate"]).contains("valid"));

    home.ok(&["config", "set", "resume.backoff_base_secs", "45"]);
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("backoff_base_secs = 45"));
    assert!(
        text.contains("# Exponential backoff"),
        "comments survive `config set`"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&home.ok(&["config", "show", "--json"])).unwrap();
    assert_eq!(shown["resume"]["backoff_base_secs"], 45);

    let (code, _, err) = home.run(&["config", "set", "resume.backoff_base_secs", "0"]);
    assert_eq!(code, 1, "invalid values are refused");
    assert!(err.contains("backoff_base_secs"), "{err}");
    assert!(
        std::fs::read_to_string(&cfg)
            .unwrap()
            .contains("backoff_base_secs = 45"),
        "file unchanged"
    );
}

#[test]
fn validate_names_file_line_column_and_key() {
    let home = Home::new();
    let bad = home.dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[resume]\nbackoff_base_secs = 60\nbackoff_max_secs = 10\n",
    )
    .unwrap();
    let (code, _, err) = home.run(&["config", "validate", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("{}:3:20", bad.display())), "{err}");
    assert!(err.contains("resume.backoff_max_secs"), "{err}");
    std::fs::write(&bad, "[resume\n").unwrap();
    let (code, _, err) = home.run(&["config", "validate", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("{}:1:", bad.display())), "{err}");
}

#[test]
fn env_overrides_apply_to_every_key() {
    let home = Home::new().with_env("PALINGENESIS__RESUME__PROMPT", "keep going");
    let shown: serde_json::Value =
        serde_json::from_str(&home.ok(&["config", "show", "--json"])).unwrap();
    assert_eq!(shown["resume"]["prompt"], "keep going");
}

/// The control commands answer in JSON with `--json`, and the exit code says whether it was done.
#[test]
fn control_commands_answer_in_json() {
    let home = Home::new();
    home.start();
    let done: serde_json::Value = serde_json::from_str(&home.ok(&["pause", "--json"])).unwrap();
    assert_eq!(done["response"], "done", "{done}");
    assert!(done["message"].as_str().unwrap().contains("paused"));
    let (code, out, _) = home.run(&["abort", "nosuch", "--json"]);
    assert_eq!(code, 1);
    let err: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (err["response"].as_str(), err["code"].as_str()),
        (Some("error"), Some("not_found"))
    );
    let done: serde_json::Value = serde_json::from_str(&home.ok(&["resume", "--json"])).unwrap();
    assert_eq!(done["response"], "done", "{done}");
}

/// `config set` names the key it was given, not a place in the file where it is not.
#[test]
fn config_set_of_an_unknown_key_names_the_key() {
    let home = Home::new();
    home.ok(&["config", "init"]);
    let (code, _, err) = home.run(&["config", "set", "resum.x", "1"]);
    assert_eq!(code, 1);
    assert!(err.contains("`resum.x`: no such setting: `resum`"), "{err}");
    assert!(
        !err.contains("config.toml:"),
        "no file position for a key the file lacks: {err}"
    );
    let (_, _, err) = home.run(&["config", "set", "resume.promt", "hi"]);
    assert!(
        err.contains("`resume.promt`") && err.contains("`prompt`"),
        "{err}"
    );
    let (_, _, err) = home.run(&["config", "set", "x", "1"]);
    assert!(err.contains("`x`: expected SECTION.KEY"), "{err}");
}

/// `config validate` checks what the daemon would run with: the file and the environment's overrides, and
/// an override's bad value is named as the override's.
#[test]
fn config_validate_checks_the_environments_overrides() {
    let var = "PALINGENESIS__RESUME__VERIFY_TIMEOUT_SECS";
    let fine = Home::new().with_env(var, "60");
    fine.ok(&["config", "init"]);
    let out = fine.ok(&["config", "validate"]);
    assert!(out.contains(var), "{out}");
    let absurd = Home::new().with_env(var, "999999999");
    absurd.ok(&["config", "init"]);
    let (code, _, err) = absurd.run(&["config", "validate"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("environment variable {var}")) && err.contains("999999999"),
        "{err}"
    );
}

#[test]
fn config_edit_never_leaves_an_invalid_file() {
    let home = Home::new();
    home.ok(&["config", "init"]);
    let cfg = home.paths().config_file;
    let before = std::fs::read_to_string(&cfg).unwrap();
    let editor = home.dir.join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf '[resume]\\nmax_retries = \"lots\"\\n' > \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = home.with_env("EDITOR", editor.to_str().unwrap());
    let (code, _, err) = home.run(&["config", "edit"]);
    assert_eq!(code, 1);
    assert!(err.contains("left unchanged"), "{err}");
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), before);

    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf '[resume]\\nmax_retries = 9\\n' > \"$1\"\n",
    )
    .unwrap();
    home.ok(&["config", "edit"]);
    assert!(
        std::fs::read_to_string(&cfg)
            .unwrap()
            .contains("max_retries = 9")
    );
}

#[test]
fn hooks_install_merges_and_uninstall_restores() {
    let home = Home::new();
    let settings = home.user_home().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let mine = serde_json::json!({"theme": "dark", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}});
    std::fs::write(&settings, mine.to_string()).unwrap();
    home.ok(&["hooks", "install", "claude"]);
    home.ok(&["hooks", "install", "claude"]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(v["theme"], "dark");
    assert_eq!(
        v["hooks"]["Stop"].as_array().unwrap().len(),
        2,
        "installed once, user's hook kept"
    );
    assert!(
        v["hooks"]["StopFailure"][0]["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .ends_with("hook claude")
    );
    let backups = std::fs::read_dir(settings.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("palingenesis")
        });
    assert!(
        backups.count() >= 1,
        "a backup of the previous settings is kept"
    );
    home.ok(&["hooks", "uninstall", "claude"]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(v, mine);
}

#[test]
fn hook_without_daemon_never_fails_the_agent_and_is_audited() {
    let home = Home::new();
    home.hook(
        "claude",
        r#"{"hook_event_name":"StopFailure","session_id":"abc","cwd":"/tmp","error":"rate_limit","last_assistant_message":"API Error: Request rejected (429)"}"#,
    );
    let events = home.events_of("HookReceived");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["outcome"], "daemon_unreachable");
    assert_eq!(events[0]["session"], "abc");
}

/// Claude Code 2.1.332 sends SIGTERM to its StopFailure hook as `-p` exits, right after the stop: the hook
/// still hands the stop to the daemon.
#[test]
fn a_hook_terminated_by_its_agent_still_delivers_the_stop() {
    let home = Home::new();
    home.start();
    let mut child = home
        .command(&["hook", "claude"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Ready once it handles SIGTERM itself (bit 15 of the caught-signals mask).
    support::home::wait_until(std::time::Duration::from_secs(20), || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                let mask = s
                    .lines()
                    .find_map(|l| l.strip_prefix("SigCgt:"))?
                    .trim()
                    .to_owned();
                u64::from_str_radix(&mask, 16).ok()
            })
            .is_some_and(|mask| mask & (1 << 14) != 0)
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"hook_event_name":"StopFailure","session_id":"11111111-2222-4333-8444-555555555555","cwd":"/tmp","error":"rate_limit","last_assistant_message":"API Error: Request rejected (429) - rate limit"}"#)
        .unwrap();
    assert!(child.wait().unwrap().success());
    let stops = home.wait_events("StopDetected", 1, std::time::Duration::from_secs(20));
    assert_eq!(stops[0]["session"], "11111111-2222-4333-8444-555555555555");
}

#[test]
fn classify_reads_messages_and_transcript_lines() {
    let home = Home::new();
    let mut child = home
        .command(&[
            "classify",
            "--assistant",
            "claude",
            "--now",
            "2026-11-24T10:00:00Z",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/real/claude/usage-limit-weekly-berlin.jsonl"
    ))
    .unwrap();
    let stop_line = fixture
        .lines()
        .find(|l| l.contains("\"isApiErrorMessage\":true"))
        .unwrap();
    let input = format!(
        "You've hit your session limit · resets 6:40pm (Asia/Calcutta)\nYou've used 98% of your session limit\n{stop_line}\nYou've hit your usage limit. Try again at Nov 24th, 2026 8:05 AM.\n"
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["reason"]["kind"], "usage_limit");
    assert_eq!(
        lines[0]["reason"]["resets_at"], "2026-11-24T13:10:00Z",
        "6:40pm in Asia/Calcutta"
    );
    assert_eq!(lines[1]["stop"], false, "a warning is not a stop");
    assert_eq!(lines[2]["reason"]["window"], "weekly");
    // The reset found, and an announced reset already behind us, are both said.
    assert_eq!(lines[0]["reset"]["reset"], "at");
    assert_eq!(lines[0]["reset"]["in_secs"], 11_400);
    assert_eq!(lines[3]["reset"]["reset"], "already_passed");
    assert_eq!(lines[3]["reset"]["announced"], "2026-11-24T08:05:00Z");
    assert_eq!(
        lines[3]["reason"]["resets_at"], "2026-11-24T10:00:00Z",
        "a reset already passed means now"
    );
}

#[test]
fn inspect_explains_a_transcript() {
    let home = Home::new();
    let f = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/real/claude/prompt-too-long.jsonl"
    );
    let v: serde_json::Value = serde_json::from_str(&home.ok(&["inspect", f, "--json"])).unwrap();
    assert_eq!(v["findings"]["last_stop"][1]["kind"], "context_exhausted");
    let text = home.ok(&["inspect", f]);
    assert!(text.contains("context_exhausted"), "{text}");
}

#[test]
fn events_filters_by_type_and_session() {
    let home = Home::new();
    home.start();
    home.ok(&["pause"]);
    home.ok(&["resume"]);
    home.ok(&["daemon", "stop"]);
    let out = home.ok(&["events", "--type", "Paused", "--json"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    let (code, _, err) = home.run(&["events", "--type", "Bogus"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown event type"), "{err}");
    assert!(
        home.ok(&["events", "--since", "1h"])
            .contains("DaemonStarted")
    );
    assert!(
        home.ok(&["events", "--session", "nobody"])
            .trim()
            .is_empty()
    );
}

/// Every page a man page refers to (`palingenesis-daemon(1)`, …) is written by `man --dir`.
#[test]
fn man_dir_writes_every_page_the_pages_refer_to() {
    let home = Home::new();
    let dir = home.dir.join("man1");
    home.ok(&["man", "--dir", dir.to_str().unwrap()]);
    let pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(pages.contains(&"palingenesis.1".to_string()), "{pages:?}");
    let mut references = 0;
    for page in &pages {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        for word in text.split_whitespace() {
            if let Some(name) = word
                .strip_suffix("(1)")
                .filter(|n| n.starts_with("palingenesis"))
            {
                let file = format!("{}.1", name.replace("\\-", "-"));
                assert!(
                    pages.contains(&file),
                    "{page} refers to {file}, not written"
                );
                references += 1;
            }
        }
    }
    assert!(references > 20, "only {references} references checked");
}

#[test]
fn completions_man_and_help() {
    let home = Home::new();
    assert!(home.ok(&["completions", "bash"]).contains("palingenesis"));
    assert!(home.ok(&["man"]).contains(".TH"));
    let help = home.ok(&["--help"]);
    assert!(
        help.contains("Exit codes") && help.contains("3  the daemon is not running"),
        "{help}"
    );
}

#[test]
fn logs_show_the_daemon_log() {
    let home = Home::new();
    home.start();
    home.ok(&["daemon", "stop"]);
    let out = home.ok(&["logs", "--tail", "5"]);
    assert!(out.contains("palingenesis"), "{out}");
}

#[test]
fn every_channel_key_can_be_set_one_at_a_time() {
    let home = Home::new();
    let set = |key: &str, value: &str| {
        let (code, out, err) = home.run(&["config", "set", key, value]);
        assert_eq!(code, 0, "{key}: {out}{err}");
        (out, err)
    };
    let (out, err) = set("notifications.telegram_bot_token", "123:s3cret");
    assert!(!out.contains("s3cret"), "secrets are not echoed: {out}");
    assert!(
        out.contains("the daemon is not running; it takes effect when it starts"),
        "{out}"
    );
    assert!(
        err.contains("warning: telegram is inactive") && err.contains("telegram_chat_id"),
        "{err}"
    );
    let (_, _, err) = home.run(&["config", "validate"]);
    assert!(err.contains("telegram is inactive"), "{err}");
    let (_, err) = set("notifications.telegram_chat_id", "42");
    assert!(err.contains("notifications.enabled = false"), "{err}");
    for (key, value) in [
        ("notifications.enabled", "true"),
        ("notifications.webhook_url", "https://example.invalid/hook"),
        ("notifications.webhook_secret", "whsec"),
        ("notifications.ntfy_url", "https://ntfy.example.invalid/t"),
        (
            "notifications.slack_webhook_url",
            "https://hooks.slack.invalid/x",
        ),
        (
            "notifications.discord_webhook_url",
            "https://discord.invalid/api/webhooks/1/x",
        ),
        (
            "notifications.channel_events",
            "{ telegram = [\"NeedsAttention\"] }",
        ),
        ("notifications.channel_max_per_hour", "{ ntfy = 20 }"),
        ("notifications.digest_minutes", "15"),
        ("notifications.daily_summary_at", "08:30"),
        ("chat.telegram_allowed_chat_ids", "[42]"),
        ("chat.telegram_allowed_user_ids", "[7]"),
        ("http.enabled", "true"),
        ("chat.slack_signing_secret", "slack-secret"),
        ("chat.slack_allowed_team_ids", "[\"T1\"]"),
        ("chat.slack_allowed_user_ids", "[\"U1\"]"),
        ("chat.discord_public_key", &"ab".repeat(32)),
        ("chat.discord_allowed_user_ids", "[\"80351110224678912\"]"),
        ("chat.discord_allowed_guild_ids", "[\"290926798626357250\"]"),
    ] {
        set(key, value);
    }
    let (code, out, err) = home.run(&["config", "validate"]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let shown: serde_json::Value =
        serde_json::from_str(&home.ok(&["config", "show", "--json"])).unwrap();
    assert_eq!(shown["chat"]["telegram_allowed_chat_ids"][0], 42);
    assert_eq!(shown["chat"]["slack_signing_secret"], "<redacted>");
    assert_eq!(shown["notifications"]["channel_max_per_hour"]["ntfy"], 20);

    for (key, value, why) in [
        (
            "notifications.channel_events",
            "{ pager = [] }",
            "not a channel",
        ),
        ("notifications.daily_summary_at", "25:99", "HH:MM"),
        ("chat.discord_public_key", "xyz", "64 hex"),
    ] {
        let (code, _, err) = home.run(&["config", "set", key, value]);
        assert_eq!(code, 1, "{key} = {value}");
        assert!(err.contains(why), "{err}");
    }
}

#[test]
fn health_warns_about_half_configured_channels() {
    let home = Home::new();
    home.write_config("[chat]\nslack_allowed_user_ids = [\"U1\"]\n");
    home.start();
    let out = home.ok(&["health"]);
    assert!(
        out.contains("slack commands are inactive") && out.contains("slack_signing_secret"),
        "{out}"
    );
}

#[test]
fn every_argument_of_every_command_has_help() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let builtin = matches!(arg.get_id().as_str(), "help" | "version");
            if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() && sub.get_long_about().is_none() {
                missing.push(format!("{path} {} (the command)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(
        &palingenesis::cli::Cli::command(),
        "palingenesis",
        &mut missing,
    );
    assert!(missing.is_empty(), "without help text: {missing:#?}");
}

#[test]
fn config_init_force_keeps_the_old_file() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    home.write_config("[resume]\nprompt = \"mine\"\n");
    let (code, _, err) = home.run(&["config", "init"]);
    assert_eq!(code, 1, "{err}");
    let out = home.ok(&["config", "init", "--force"]);
    let kept = out
        .lines()
        .find_map(|l| l.strip_prefix("the previous file is kept at "))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        std::fs::read_to_string(kept).unwrap(),
        "[resume]\nprompt = \"mine\"\n"
    );
    let mode = std::fs::metadata(kept).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = home.ok(&["config", "init", "--force"]);
    assert!(
        !out.contains(kept),
        "a second backup has its own name: {out}"
    );
}

#[test]
fn json_without_a_daemon_is_still_json() {
    let home = Home::new();
    for cmd in ["status", "health", "sessions", "preview"] {
        let (code, out, _) = home.run(&[cmd, "--json"]);
        assert_eq!(code, 3, "{cmd}");
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{cmd}: {e}: {out}"));
        assert_eq!(v["running"], false, "{cmd}: {v}");
        assert!(v["error"].as_str().unwrap().contains("not running"), "{v}");
    }
}

#[test]
fn a_configured_binary_that_is_not_there_fails_validate_and_health() {
    let home = Home::new();
    home.write_config(
        "[monitoring]\nassistants = [\"claude\"]\n[claude]\nbinary = \"/nonexistent/bin/claude\"\n",
    );
    let (code, out, err) = home.run(&["config", "validate"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("valid"), "{out}");
    assert!(
        err.contains("[claude] binary = \"/nonexistent/bin/claude\": no such file"),
        "{err}"
    );
    home.start();
    let (code, out, _) = home.run(&["health"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("binary:claude")),
        "{out}"
    );
}

#[test]
fn localhost_is_a_bind_address() {
    let home = Home::new();
    let out = home.ok(&["config", "set", "http.bind", "localhost:7654"]);
    assert!(out.contains("http.bind = localhost:7654"), "{out}");
    let out = home.ok(&["config", "validate"]);
    assert!(out.contains("valid"), "{out}");
    let (code, _, err) = home.run(&["config", "set", "http.bind", "localhost"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("localhost:7654"),
        "the error shows the form: {err}"
    );
}

#[test]
fn foreground_logs_into_a_pipe_carry_no_colour_codes() {
    let home = Home::new();
    home.write_config("[monitoring]\nassistants = [\"claude\"]\n");
    let child = home
        .command(&["daemon", "start", "--foreground"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), || home.run(&["status"]).0 == 0);
    home.ok(&["daemon", "stop"]);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("palingenesis daemon running"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "ANSI codes in a pipe: {stderr:?}");
}

#[test]
fn the_printed_service_runs_with_the_users_path() {
    let home = Home::new().with_env(
        "PATH",
        format!(
            "/home/u/.nvm/versions/node/v22/bin:{}",
            std::env::var("PATH").unwrap()
        ),
    );
    let unit = home.ok(&["service", "print"]);
    let line = unit
        .lines()
        .find(|l| l.starts_with("Environment=\"PATH=") || l.contains("<key>PATH</key>"))
        .unwrap_or_else(|| panic!("no PATH in the service file:\n{unit}"));
    assert!(
        unit.contains("/home/u/.nvm/versions/node/v22/bin:"),
        "{line}\n{unit}"
    );
}

#[test]
fn events_follow_prints_the_history_once_then_what_is_appended() {
    use std::io::{BufRead, BufReader};
    let home = Home::new();
    home.start();
    home.ok(&["pause"]);
    home.ok(&["resume"]);
    let mut follower = home
        .command(&["events", "--follow", "--json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(follower.stdout.take().unwrap()).lines();
    let mut next_type = || {
        let line = lines.next().expect("a line").unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        v["event"].as_str().unwrap().to_string()
    };
    assert_eq!(next_type(), "DaemonStarted");
    assert_eq!(next_type(), "Paused");
    assert_eq!(next_type(), "Unpaused");
    home.ok(&["pause"]);
    // The next line is the new event, not the history again.
    assert_eq!(next_type(), "Paused");
    follower.kill().unwrap();
    let _ = follower.wait();
}

//! `--json` on the commands that report (hooks, mcp, service, logs, config, daemon, sessions forget), and `config validate`
//! reporting every problem at once, through the real binary in an isolated home.

mod support;

use serde_json::Value;
use support::home::Home;

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

fn home() -> Home {
    let home = Home::new();
    let config_home = home.user_home().join(".config");
    home.with_env("XDG_CONFIG_HOME", config_home.display().to_string())
}

#[test]
fn hooks_and_mcp_report_in_json() {
    let home = home();
    let settings = home.user_home().join(".claude/settings.json");
    let status = json(&home.ok(&["hooks", "status", "claude", "--json"]));
    let one = &status["installations"][0];
    assert_eq!(one["assistant"], "claude", "{status:#}");
    assert_eq!(one["installed"], "no", "{status:#}");
    assert_eq!(one["file"], settings.display().to_string());

    let v = json(&home.ok(&["hooks", "install", "claude", "--json"]));
    assert_eq!(
        (&v["installed"], &v["changed"], &v["backup"]),
        (&Value::Bool(true), &Value::Bool(true), &Value::Null),
        "{v:#}"
    );
    let v = json(&home.ok(&["hooks", "status", "--json"]));
    assert_eq!(v["installations"][0]["installed"], "yes", "{v:#}");
    let v = json(&home.ok(&["hooks", "uninstall", "claude", "--json"]));
    assert_eq!(
        (&v["installed"], &v["changed"]),
        (&Value::Bool(false), &Value::Bool(true))
    );
    assert!(v["backup"].is_string(), "{v:#}");

    let v = json(&home.ok(&["mcp", "install", "codex", "--json"]));
    assert_eq!(v["assistant"], "codex");
    assert_eq!(
        (&v["installed"], &v["changed"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    let v = json(&home.ok(&["mcp", "install", "codex", "--json"]));
    assert_eq!(
        v["changed"], false,
        "installing twice changes nothing: {v:#}"
    );
    let v = json(&home.ok(&["mcp", "status", "--json"]));
    let by_name = |name: &str| {
        v["installations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["assistant"] == name)
            .unwrap_or_else(|| panic!("{name} in {v:#}"))["installed"]
            .clone()
    };
    assert_eq!(by_name("codex"), "yes");
    assert_eq!(by_name("claude"), "no");
    let v = json(&home.ok(&["mcp", "uninstall", "codex", "--json"]));
    assert_eq!(
        (&v["installed"], &v["changed"]),
        (&Value::Bool(false), &Value::Bool(true))
    );

    // A file it cannot read is named, with exit 1.
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, "[1,2]").unwrap();
    let (code, out, _) = home.run(&["hooks", "status", "--json"]);
    assert_eq!(code, 1, "{out}");
    let v = json(&out);
    assert!(v["installations"][0]["installed"].is_null(), "{v:#}");
    assert!(
        v["installations"][0]["error"]
            .as_str()
            .unwrap()
            .contains("not an object")
    );
}

#[test]
fn service_reports_in_json() {
    let home = home();
    let v = json(&home.ok(&["service", "status", "--json"]));
    assert_eq!(
        (&v["kind"], &v["installed"]),
        (&"systemd".into(), &"no".into()),
        "{v:#}"
    );
    let v = json(&home.ok(&["service", "install", "--json"]));
    assert_eq!(v["outcome"], "created", "{v:#}");
    assert!(
        v["next"].as_str().unwrap().contains("systemctl --user"),
        "{v:#}"
    );
    let file = v["file"].as_str().unwrap().to_string();
    assert!(std::path::Path::new(&file).exists());
    let v = json(&home.ok(&["service", "install", "--json"]));
    assert_eq!(v["outcome"], "unchanged", "{v:#}");
    let v = json(&home.ok(&["service", "status", "--json"]));
    assert_eq!(v["installed"], "yes", "{v:#}");
    assert!(v["path"].is_string(), "{v:#}");
    assert_eq!(v["path_is_this_shells"], true, "{v:#}");

    // Asked from a shell with another PATH, the service is still installed as `service install` writes it,
    // with the PATH it was installed with; only that PATH is not this shell's.
    let installed_path = v["path"].as_str().unwrap().to_string();
    let other_shell = home
        .clone_handle()
        .with_env("PATH", format!("/opt/elsewhere/bin:{installed_path}"));
    let v = json(&other_shell.ok(&["service", "status", "--json"]));
    assert_eq!(
        (&v["installed"], &v["path_is_this_shells"]),
        (&"yes".into(), &false.into()),
        "{v:#}"
    );
    assert_eq!(v["path"], installed_path.as_str(), "{v:#}");
    let text = other_shell.ok(&["service", "status"]);
    assert!(text.contains("not this shell's PATH"), "{text}");

    // A file for another executable is outdated, whatever its PATH.
    let unit = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, unit.replace("ExecStart=", "ExecStart=/moved")).unwrap();
    let v = json(&home.ok(&["service", "status", "--json"]));
    assert_eq!(v["installed"], "outdated", "{v:#}");
    std::fs::write(&file, unit).unwrap();
    let v = json(&home.ok(&["service", "uninstall", "--json"]));
    assert_eq!(v["removed"][0], file.as_str(), "{v:#}");
    let v = json(&home.ok(&["service", "uninstall", "--json"]));
    assert_eq!(v["removed"], serde_json::json!([]), "{v:#}");
    assert_eq!(v["next"], Value::Null);
}

#[test]
fn logs_print_one_json_object_per_line() {
    let home = home();
    let (code, out, err) = home.run(&["logs", "--json"]);
    assert_eq!(
        (code, out.as_str()),
        (0, ""),
        "no log yet: nothing on stdout ({err})"
    );
    let log = home.paths().log_file();
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(
        &log,
        "2026-11-30T10:00:00.000001Z  INFO palingenesis: started\nplain continuation line\n\
         2026-11-30T10:00:01Z  WARN palingenesis: later\n",
    )
    .unwrap();
    let out = home.ok(&["logs", "--json", "-n", "2"]);
    let lines: Vec<Value> = out.lines().map(json).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["line"], "plain continuation line");
    assert_eq!(lines[0]["time"], Value::Null);
    assert_eq!(lines[1]["time"], "2026-11-30T10:00:01.000000Z", "{out}");
    assert!(lines[1]["line"].as_str().unwrap().ends_with("later"));
}

#[test]
fn config_validate_reports_every_problem_with_its_place() {
    let home = home();
    home.write_config(
        "[resume]\n\
         backof_base_secs = 30\n\
         jitter_fraction = 1.5\n\
         \n\
         [backup]\n\
         keep = 0\n",
    );
    let file = home.paths().config_file.display().to_string();
    let (code, out, err) = home.run(&["config", "validate"]);
    assert_eq!(code, 1, "{out}{err}");
    for (at, what) in [
        ("2:", "backof_base_secs"),
        ("3:", "resume.jitter_fraction"),
        ("6:", "backup.keep"),
    ] {
        let wanted = format!("{file}:{at}");
        assert!(
            err.lines()
                .any(|l| l.starts_with(&wanted) && l.contains(what)),
            "{wanted} … {what} in:\n{err}"
        );
    }
    assert!(err.contains("3 problem(s)"), "{err}");

    // With an override problem too, named by its variable; and as JSON.
    let out = home
        .command(&["config", "validate", "--json"])
        .env("PALINGENESIS__RESUME__MAX_RETRIES", "lots")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["valid"], false);
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 4, "{v:#}");
    let located: Vec<(u64, u64)> = problems
        .iter()
        .filter_map(|p| Some((p["line"].as_u64()?, p["col"].as_u64()?)))
        .collect();
    assert_eq!(
        located.iter().map(|l| l.0).collect::<Vec<_>>(),
        [2, 3, 6],
        "{v:#}"
    );
    assert!(located.iter().all(|l| l.1 >= 1));
    assert!(
        problems
            .iter()
            .any(|p| p["variable"] == "PALINGENESIS__RESUME__MAX_RETRIES"),
        "{v:#}"
    );

    // A syntax error still stops at once, with its place.
    home.write_config("[resume]\nbackoff_base_secs = = 3\n[backup]\nkeep = 0\n");
    let (code, out, _) = home.run(&["config", "validate", "--json"]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["problems"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(v["problems"][0]["line"], 2, "{v:#}");

    home.write_config("[resume]\nbackoff_base_secs = 30\n");
    let v = json(&home.ok(&["config", "validate", "--json"]));
    assert_eq!(
        (&v["valid"], &v["problems"]),
        (&Value::Bool(true), &serde_json::json!([]))
    );
}

#[test]
fn daemon_config_and_forget_report_in_json() {
    let home = home();
    let path = json(&home.ok(&["config", "path", "--json"]));
    assert_eq!(path["exists"], false, "{path:#}");
    let init = json(&home.ok(&["config", "init", "--json"]));
    assert_eq!(init["written"], path["path"], "{init:#}");
    assert_eq!(init["previous_kept_at"], Value::Null, "{init:#}");
    let set = json(&home.ok(&["config", "set", "http.token", "s3cret-value", "--json"]));
    assert_eq!(
        (&set["key"], &set["value"]),
        (&Value::from("http.token"), &Value::from("<redacted>")),
        "{set:#}"
    );
    assert!(
        set["applies"].as_str().unwrap().contains("not running"),
        "{set:#}"
    );

    let started = json(&home.ok(&["daemon", "start", "--json"]));
    assert_eq!(started["started"], true, "{started:#}");
    let pid = started["pid"].as_u64().unwrap();
    let again = json(&home.ok(&["daemon", "start", "--json"]));
    assert_eq!(
        (&again["started"], &again["pid"]),
        (&Value::Bool(false), &Value::from(pid)),
        "{again:#}"
    );
    let reload = json(&home.ok(&["daemon", "reload", "--json"]));
    assert_eq!(reload["response"], "done", "{reload:#}");
    assert_eq!(reload["message"], "configuration unchanged", "{reload:#}");
    let (code, out, _) = home.run(&["sessions", "forget", "nobody", "--json"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(json(&out)["response"], "error", "{out}");
    assert!(out.contains("no tracked session matches"), "{out}");
    let restarted = json(&home.ok(&["daemon", "restart", "--json"]));
    assert_eq!(restarted["stopped"], pid, "{restarted:#}");
    let stopped = json(&home.ok(&["daemon", "stop", "--json"]));
    assert_eq!(
        (&stopped["stopped"], &stopped["pid"]),
        (&Value::Bool(true), &restarted["pid"]),
        "{stopped:#}"
    );
    let stopped = json(&home.ok(&["daemon", "stop", "--json"]));
    assert_eq!(stopped["stopped"], false, "{stopped:#}");
}

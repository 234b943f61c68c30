use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use rstest::rstest;

use super::render::{shell_quote, systemd_exec_path, xml_escape};
use super::*;

const EXE: &str = "/usr/local/bin/palingenesis";

#[test]
fn systemd_unit_snapshot() {
    let expected = "\
# Written by palingenesis. Reinstalling the service overwrites this file.
[Unit]
Description=palingenesis daemon: keeps AI coding agents working

[Service]
Type=simple
ExecStart=/usr/local/bin/palingenesis daemon start --foreground
Environment=MALLOC_ARENA_MAX=1
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
";
    assert_eq!(systemd_unit(Path::new(EXE), None), expected);
}

#[test]
fn systemd_unit_quotes_an_awkward_path() {
    let unit = systemd_unit(Path::new("/home/a b/100% \"x\"/palingenesis"), None);
    let line = unit.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert_eq!(
        line,
        r#"ExecStart="/home/a b/100%% \"x\"/palingenesis" daemon start --foreground"#
    );
}

#[test]
fn launchd_plist_snapshot() {
    let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>dev.palingenesis.daemon</string>
	<key>ProgramArguments</key>
	<array>
		<string>/usr/local/bin/palingenesis</string>
		<string>daemon</string>
		<string>start</string>
		<string>--foreground</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ProcessType</key>
	<string>Background</string>
	<key>StandardOutPath</key>
	<string>/Users/me/Library/Logs/palingenesis/launchd-stdout.log</string>
	<key>StandardErrorPath</key>
	<string>/Users/me/Library/Logs/palingenesis/launchd-stderr.log</string>
</dict>
</plist>
"#;
    let plist = launchd_plist(
        Path::new(EXE),
        Path::new("/Users/me/Library/Logs/palingenesis"),
        None,
    );
    assert_eq!(plist, expected);
}

#[test]
fn launchd_plist_escapes_paths() {
    let plist = launchd_plist(
        Path::new("/Users/R&D <x>/bin/p'q\""),
        Path::new("/l&g"),
        None,
    );
    assert!(plist.contains("<string>/Users/R&amp;D &lt;x&gt;/bin/p&apos;q&quot;</string>"));
    assert!(plist.contains("<string>/l&amp;g/launchd-stdout.log</string>"));
    assert!(!plist.contains("R&D"));
}

#[rstest]
#[case::plain(EXE, EXE)]
#[case::space("/a b/p", r#""/a b/p""#)]
#[case::percent("/a%h/p", "/a%%h/p")]
#[case::dollar_is_literal("/a$HOME/p", "/a$HOME/p")]
#[case::backslash(r"/a\b/p", r#""/a\\b/p""#)]
#[case::double_quote(r#"/a"b/p"#, r#""/a\"b/p""#)]
#[case::single_quote("/it's/p", r#""/it's/p""#)]
#[case::semicolon("/a;b/p", r#""/a;b/p""#)]
#[case::tab("/a\tb/p", r#""/a\tb/p""#)]
#[case::newline("/a\nb/p", r#""/a\nb/p""#)]
#[case::control("/a\u{1}b/p", r#""/a\u0001b/p""#)]
#[case::unicode("/home/zoë/日本/p", "/home/zoë/日本/p")]
#[case::nbsp("/a\u{a0}b/p", "\"/a\u{a0}b/p\"")]
#[case::empty("", r#""""#)]
fn systemd_path_escaping(#[case] path: &str, #[case] expected: &str) {
    assert_eq!(systemd_exec_path(path), expected);
}

#[rstest]
#[case::plain("/usr/bin/p", "/usr/bin/p")]
#[case::entities("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f")]
#[case::already_escaped("&amp;", "&amp;amp;")]
#[case::unicode("/Users/zoë/日本 🚀", "/Users/zoë/日本 🚀")]
#[case::tab_newline_kept("a\tb\nc", "a\tb\nc")]
#[case::invalid_controls("a\u{0}b\u{1b}c\rd", "a\u{fffd}b\u{fffd}c\u{fffd}d")]
#[case::nonchars("a\u{fffe}b", "a\u{fffd}b")]
fn xml_escaping(#[case] text: &str, #[case] expected: &str) {
    assert_eq!(xml_escape(text), expected);
}

#[rstest]
#[case::plain("/Users/me/Library/x.plist", "/Users/me/Library/x.plist")]
#[case::space("/Users/a b/x", "'/Users/a b/x'")]
#[case::quote("/it's", r"'/it'\''s'")]
#[case::dollar("/a$b", "'/a$b'")]
#[case::tilde_first("~x", "'~x'")]
#[case::empty("", "''")]
fn shell_quoting(#[case] text: &str, #[case] expected: &str) {
    assert_eq!(shell_quote(text), expected);
}

fn dirs(home: &Path, xdg: Option<&str>) -> UserDirs {
    UserDirs {
        home: home.to_path_buf(),
        xdg_config_home: xdg.map(PathBuf::from),
    }
}

#[rstest]
#[case::systemd_default(
    ServiceKind::Systemd,
    None,
    "/h/.config/systemd/user/palingenesis.service"
)]
#[case::systemd_xdg(
    ServiceKind::Systemd,
    Some("/x/cfg"),
    "/x/cfg/systemd/user/palingenesis.service"
)]
#[case::systemd_relative_xdg_ignored(
    ServiceKind::Systemd,
    Some("cfg"),
    "/h/.config/systemd/user/palingenesis.service"
)]
#[case::systemd_empty_xdg_ignored(
    ServiceKind::Systemd,
    Some(""),
    "/h/.config/systemd/user/palingenesis.service"
)]
#[case::launchd(
    ServiceKind::Launchd,
    Some("/x/cfg"),
    "/h/Library/LaunchAgents/dev.palingenesis.daemon.plist"
)]
fn service_file_locations(
    #[case] kind: ServiceKind,
    #[case] xdg: Option<&str>,
    #[case] expected: &str,
) {
    assert_eq!(
        dirs(Path::new("/h"), xdg).service_file(kind),
        Path::new(expected)
    );
}

#[test]
fn detect_matches_the_target_os() {
    let expected = if cfg!(target_os = "linux") {
        Some(ServiceKind::Systemd)
    } else if cfg!(target_os = "macos") {
        Some(ServiceKind::Launchd)
    } else {
        None
    };
    assert_eq!(ServiceKind::detect(), expected);
}

/// Every entry below `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if path.is_dir() && !path.is_symlink() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn systemd_install_reinstall_uninstall() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let d = dirs(&home, None);
    let log_dir = tmp.path().join("logs");
    let unit = home.join(".config/systemd/user/palingenesis.service");

    let first = install_in(ServiceKind::Systemd, Path::new(EXE), &d, &log_dir).unwrap();
    assert_eq!(
        first,
        InstallReport {
            path: unit.clone(),
            outcome: WriteOutcome::Created,
            next_command:
                "systemctl --user daemon-reload && systemctl --user enable --now palingenesis"
                    .into(),
        }
    );
    assert_eq!(
        fs::read_to_string(&unit).unwrap(),
        systemd_unit(Path::new(EXE), installing_search_path().as_deref())
    );
    assert!(!log_dir.exists(), "systemd logs go to the journal");

    let again = install_in(ServiceKind::Systemd, Path::new(EXE), &d, &log_dir).unwrap();
    assert_eq!(again.outcome, WriteOutcome::Unchanged);
    assert_eq!(again.path, unit);

    let moved = Path::new("/opt/pal/palingenesis");
    let updated = install_in(ServiceKind::Systemd, moved, &d, &log_dir).unwrap();
    assert_eq!(updated.outcome, WriteOutcome::Updated);
    assert_eq!(
        fs::read_to_string(&unit).unwrap(),
        systemd_unit(moved, installing_search_path().as_deref())
    );

    // What `systemctl --user enable` would add.
    let wants = unit.parent().unwrap().join("default.target.wants");
    fs::create_dir(&wants).unwrap();
    std::os::unix::fs::symlink(&unit, wants.join("palingenesis.service")).unwrap();
    fs::write(unit.with_file_name("other.service"), "keep").unwrap();

    let gone = uninstall_in(ServiceKind::Systemd, &d).unwrap();
    assert_eq!(
        gone,
        UninstallReport {
            removed: vec![unit.clone(), wants.join("palingenesis.service")],
            next_command: Some(
                "systemctl --user stop palingenesis; systemctl --user daemon-reload".into()
            ),
        }
    );
    assert_eq!(
        tree(&home),
        [
            ".config",
            ".config/systemd",
            ".config/systemd/user",
            ".config/systemd/user/default.target.wants",
            ".config/systemd/user/other.service"
        ]
    );

    let nothing = uninstall_in(ServiceKind::Systemd, &d).unwrap();
    assert_eq!(
        nothing,
        UninstallReport {
            removed: vec![],
            next_command: None
        }
    );
}

#[test]
fn systemd_install_honours_xdg_config_home() {
    let tmp = tempfile::tempdir().unwrap();
    let xdg = tmp.path().join("xdg");
    let d = dirs(&tmp.path().join("home"), Some(xdg.to_str().unwrap()));
    let report = install_in(ServiceKind::Systemd, Path::new(EXE), &d, tmp.path()).unwrap();
    assert_eq!(report.path, xdg.join("systemd/user/palingenesis.service"));
    assert!(report.path.is_file());
    assert!(!tmp.path().join("home").exists());
}

#[test]
fn wants_entry_that_is_not_a_symlink_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(tmp.path(), None);
    let report = install_in(ServiceKind::Systemd, Path::new(EXE), &d, tmp.path()).unwrap();
    let wants = report.path.with_file_name("default.target.wants");
    fs::create_dir(&wants).unwrap();
    fs::write(wants.join("palingenesis.service"), "not ours").unwrap();
    let gone = uninstall_in(ServiceKind::Systemd, &d).unwrap();
    assert_eq!(gone.removed, [report.path]);
    assert!(wants.join("palingenesis.service").exists());
}

#[test]
fn launchd_install_reinstall_uninstall() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("Mac HD home");
    let d = dirs(&home, Some("/ignored/for/launchd"));
    let log_dir = tmp.path().join("logs/palingenesis");
    let plist = home.join("Library/LaunchAgents/dev.palingenesis.daemon.plist");

    let first = install_in(ServiceKind::Launchd, Path::new(EXE), &d, &log_dir).unwrap();
    assert_eq!(first.path, plist);
    assert_eq!(first.outcome, WriteOutcome::Created);
    assert_eq!(
        first.next_command,
        format!("launchctl load -w '{}'", plist.display())
    );
    assert_eq!(
        fs::read_to_string(&plist).unwrap(),
        launchd_plist(
            Path::new(EXE),
            &log_dir,
            installing_search_path().as_deref()
        )
    );
    assert!(log_dir.is_dir());

    let again = install_in(ServiceKind::Launchd, Path::new(EXE), &d, &log_dir).unwrap();
    assert_eq!(again.outcome, WriteOutcome::Unchanged);
    assert_eq!(
        tree(&home),
        [
            "Library",
            "Library/LaunchAgents",
            "Library/LaunchAgents/dev.palingenesis.daemon.plist"
        ]
    );

    let gone = uninstall_in(ServiceKind::Launchd, &d).unwrap();
    assert_eq!(
        gone,
        UninstallReport {
            removed: vec![plist.clone()],
            next_command: Some("launchctl remove dev.palingenesis.daemon".into()),
        }
    );
    assert!(!plist.exists());
    assert_eq!(
        uninstall_in(ServiceKind::Launchd, &d).unwrap().removed,
        Vec::<PathBuf>::new()
    );
}

#[rstest]
#[case::relative_exe(ServiceKind::Systemd, b"bin/palingenesis".as_slice(), "/logs", "must be an absolute path")]
#[case::relative_exe_launchd(ServiceKind::Launchd, b"palingenesis".as_slice(), "/logs", "must be an absolute path")]
#[case::relative_log_dir(ServiceKind::Launchd, EXE.as_bytes(), "logs", "log directory must be an absolute path")]
#[case::non_utf8(ServiceKind::Systemd, b"/bin/pal\xffgenesis".as_slice(), "/logs", "not valid UTF-8")]
#[case::systemd_backslash(ServiceKind::Systemd, br"/a\b/p".as_slice(), "/logs", "systemd refuses")]
#[case::systemd_quote(ServiceKind::Systemd, b"/a\"b/p".as_slice(), "/logs", "systemd refuses")]
#[case::systemd_apostrophe(ServiceKind::Systemd, b"/it's/p".as_slice(), "/logs", "systemd refuses")]
#[case::systemd_control(ServiceKind::Systemd, b"/a\tb/p".as_slice(), "/logs", "systemd refuses")]
#[case::control_char_plist(ServiceKind::Launchd, b"/bin/pal\x01".as_slice(), "/logs", "XML cannot carry")]
#[case::control_char_log_dir(ServiceKind::Launchd, EXE.as_bytes(), "/lo\rgs", "XML cannot carry")]
fn bad_paths_are_refused_before_writing(
    #[case] kind: ServiceKind,
    #[case] exe: &[u8],
    #[case] log_dir: &str,
    #[case] expect: &str,
) {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(&tmp.path().join("home"), None);
    let exe = Path::new(OsStr::from_bytes(exe));
    let err = install_in(kind, exe, &d, Path::new(log_dir)).unwrap_err();
    assert!(err.to_string().contains(expect), "{err}");
    assert!(!tmp.path().join("home").exists());
}

/// Checks with the real parser that systemd reads the executable paths [`install`] accepts back verbatim
/// (`verify` fails when the parsed path names no executable).
#[test]
#[ignore = "needs systemd-analyze; run with `cargo test --lib service -- --ignored`"]
fn systemd_analyze_accepts_awkward_paths() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, dir) in [
        "plain",
        "with space",
        "100%",
        "%h",
        "d$x",
        "${HOME}",
        "a;b",
        "zoë 日本",
        "nb\u{a0}sp",
    ]
    .iter()
    .enumerate()
    {
        let exe = tmp.path().join(dir).join("palingenesis");
        fs::create_dir_all(exe.parent().unwrap()).unwrap();
        fs::write(&exe, "#!/bin/sh\n").unwrap();
        let mut perms = fs::metadata(&exe).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        fs::set_permissions(&exe, perms).unwrap();
        let d = dirs(&tmp.path().join(format!("home{i}")), None);
        let unit = install_in(ServiceKind::Systemd, &exe, &d, tmp.path())
            .unwrap()
            .path;
        let out = std::process::Command::new("systemd-analyze")
            .arg("verify")
            .arg(&unit)
            .output()
            .expect("systemd-analyze runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{dir:?}: {stderr}"
        );
    }
}

#[test]
fn the_service_runs_with_the_installing_users_path() {
    let unit = systemd_unit(
        Path::new(EXE),
        Some("/home/u/.local/bin:/home/u/.nvm/versions/node/v22/bin:/opt/50%\"odd\":/usr/bin"),
    );
    assert!(
        unit.contains(
            "Environment=\"PATH=/home/u/.local/bin:/home/u/.nvm/versions/node/v22/bin:/opt/50%%\\\"odd\\\":/usr/bin\"\n"
        ),
        "{unit}"
    );
    let plist = launchd_plist(
        Path::new(EXE),
        Path::new("/l"),
        Some("/Users/u/.local/bin:/a&b"),
    );
    assert!(
        plist.contains(
            "<key>EnvironmentVariables</key>\n\t<dict>\n\t\t<key>PATH</key>\n\t\t<string>/Users/u/.local/bin:/a&amp;b</string>"
        ),
        "{plist}"
    );
    assert!(!systemd_unit(Path::new(EXE), Some("")).contains("PATH="));
}

#[test]
fn the_search_path_reads_back_from_both_service_files() {
    let odd = "/home/u/.local/bin:/opt/50%\"odd\\\":/a&b<c>:/usr/bin";
    assert_eq!(
        search_path_in(&systemd_unit(Path::new(EXE), Some(odd))).as_deref(),
        Some(odd)
    );
    assert_eq!(
        search_path_in(&launchd_plist(Path::new(EXE), Path::new("/l"), Some(odd))).as_deref(),
        Some(odd)
    );
    assert_eq!(search_path_in(&systemd_unit(Path::new(EXE), None)), None);
    assert_eq!(
        search_path_in(&launchd_plist(Path::new(EXE), Path::new("/l"), None)),
        None
    );
}

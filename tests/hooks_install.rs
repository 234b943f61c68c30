//! `palingenesis hooks install|uninstall claude` as a user runs it: says what it did (or that nothing needed
//! doing), keeps every original in a backup of its own, keeps the file's key order, and refuses to rewrite a
//! settings file it cannot read as settings.

mod support;

use support::home::Home;

fn settings(home: &Home) -> std::path::PathBuf {
    home.user_home().join(".claude/settings.json")
}

fn backups(home: &Home) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(home.user_home().join(".claude"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bak"))
        .collect();
    found.sort();
    found
}

#[test]
fn install_and_uninstall_say_what_they_did_and_keep_every_original() {
    let home = Home::new();
    let original = "{\n  \"zeta\": 1,\n  \"alpha\": {\"b\": 1, \"a\": 2},\n  \"hooks\": {\"Stop\": [{\"hooks\": [{\"type\": \"command\", \"command\": \"say done\"}]}]}\n}\n";
    std::fs::create_dir_all(settings(&home).parent().unwrap()).unwrap();
    std::fs::write(settings(&home), original).unwrap();

    let out = home.ok(&["hooks", "install", "claude"]);
    assert!(out.contains("installed palingenesis hooks in"), "{out}");
    assert!(out.contains("previous file kept at"), "{out}");
    let text = std::fs::read_to_string(settings(&home)).unwrap();
    let (z, a, h) = (
        text.find("\"zeta\"").unwrap(),
        text.find("\"alpha\"").unwrap(),
        text.find("\"hooks\"").unwrap(),
    );
    assert!(z < a && a < h, "key order kept: {text}");
    assert!(
        text.find("\"b\"").unwrap() < text.find("\"a\"").unwrap(),
        "{text}"
    );
    assert!(
        text.contains("say done") && text.contains("hook claude"),
        "{text}"
    );

    let out = home.ok(&["hooks", "install", "claude"]);
    assert!(out.contains("already installed"), "{out}");
    assert!(!out.contains("kept at"), "{out}");
    assert_eq!(std::fs::read_to_string(settings(&home)).unwrap(), text);

    // Right after (often within the same second): a second backup, not over the first.
    let out = home.ok(&["hooks", "uninstall", "claude"]);
    assert!(out.contains("removed palingenesis hooks from"), "{out}");
    let names = backups(&home);
    assert_eq!(names.len(), 2, "{names:?}");
    let first = home.user_home().join(".claude").join(&names[0]);
    let kept: Vec<String> = names
        .iter()
        .map(|n| std::fs::read_to_string(home.user_home().join(".claude").join(n)).unwrap())
        .collect();
    assert!(
        kept.contains(&original.to_string()),
        "the original survives: {first:?}"
    );
    assert!(kept.contains(&text), "the installed version too");

    let out = home.ok(&["hooks", "uninstall", "claude"]);
    assert!(out.contains("not installed"), "{out}");
    assert_eq!(backups(&home).len(), 2);

    let out = home.ok(&["hooks", "install", "claude", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["changed"], true, "{v}");
    assert!(v["backup"].is_string(), "{v}");
}

#[test]
fn settings_it_cannot_read_as_settings_are_refused_and_left_alone() {
    let home = Home::new();
    std::fs::create_dir_all(settings(&home).parent().unwrap()).unwrap();
    for (text, says) in [
        ("[1,2]", "not an object"),
        (
            "{\"hooks\": {\"Stop\": \"oops\"}}",
            "\"hooks\".\"Stop\" is a string",
        ),
        ("{\"hooks\": ", "not valid JSON"),
    ] {
        std::fs::write(settings(&home), text).unwrap();
        for verb in ["install", "uninstall"] {
            let (code, out, err) = home.run(&["hooks", verb, "claude"]);
            assert_eq!(code, 1, "{text}: {out}{err}");
            assert!(err.contains(says), "{text}: {err}");
            assert!(err.contains("left unchanged"), "{err}");
            assert_eq!(std::fs::read_to_string(settings(&home)).unwrap(), text);
        }
    }
    assert!(backups(&home).is_empty());
}

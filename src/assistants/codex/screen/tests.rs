use super::*;

fn fixture(name: &str) -> &'static str {
    match name {
        "idle-fresh" => include_str!("../../../../tests/fixtures/screens/codex/idle-fresh.txt"),
        "idle-after-limit" => {
            include_str!("../../../../tests/fixtures/screens/codex/idle-after-limit.txt")
        }
        "idle-after-error" => {
            include_str!("../../../../tests/fixtures/screens/codex/idle-after-error.txt")
        }
        "idle-after-answer" => {
            include_str!("../../../../tests/fixtures/screens/codex/idle-after-answer.txt")
        }
        "limit-menu" => include_str!("../../../../tests/fixtures/screens/codex/limit-menu.txt"),
        "model-migration" => {
            include_str!("../../../../tests/fixtures/screens/codex/model-migration.txt")
        }
        "model-picker" => include_str!("../../../../tests/fixtures/screens/codex/model-picker.txt"),
        "busy" => include_str!("../../../../tests/fixtures/screens/codex/busy.txt"),
        "retrying" => include_str!("../../../../tests/fixtures/screens/codex/retrying.txt"),
        "draft" => include_str!("../../../../tests/fixtures/screens/codex/draft.txt"),
        "shell" => include_str!("../../../../tests/fixtures/screens/shell-prompt.txt"),
        "editor" => include_str!("../../../../tests/fixtures/screens/editor.txt"),
        "claude" => include_str!("../../../../tests/fixtures/screens/claude-idle-fresh.txt"),
        other => panic!("no fixture {other}"),
    }
}

#[rstest::rstest]
#[case::fresh_composer("idle-fresh", ScreenState::Idle)]
#[case::menu_dismissed("idle-after-limit", ScreenState::Idle)]
#[case::after_an_api_error("idle-after-error", ScreenState::Idle)]
#[case::after_an_answer("idle-after-answer", ScreenState::Idle)]
#[case::rate_limit_menu_open("limit-menu", ScreenState::LimitMenu)]
#[case::turn_running("busy", ScreenState::Busy)]
#[case::reconnecting_by_itself("retrying", ScreenState::Retrying)]
#[case::user_draft("draft", ScreenState::Draft("say hi".into()))]
#[case::a_shell("shell", ScreenState::Unknown)]
#[case::an_editor("editor", ScreenState::Unknown)]
#[case::claudes_screen("claude", ScreenState::Unknown)]
fn captured_codex_screens(#[case] name: &str, #[case] expected: ScreenState) {
    assert_eq!(detect(fixture(name)), expected, "{name}");
}

#[test]
fn a_menu_whose_esc_confirms_a_model_change_is_left_to_a_person() {
    let ScreenState::NeedsHuman(why) = detect(fixture("model-migration")) else {
        panic!("{:?}", detect(fixture("model-migration")));
    };
    assert!(why.contains("Try new model / Use existing model"), "{why}");
    assert!(why.contains("Meet GPT-6 Sol"), "{why}");
}

/// The limit menus a signed-in user can get (read in the 0.171.0 binary; they need a ChatGPT account, so
/// they are built here from the captured rate-limit menu).
#[rstest::rstest]
#[case::redeem("Redeem usage limit reset")]
#[case::limit_increase("Request a limit increase")]
#[case::notify_owner("Notify owner")]
#[case::upgrade("Upgrade to Pro")]
fn a_limit_menu_with_an_entry_that_spends_money_is_left_to_a_person(#[case] entry: &str) {
    let screen = fixture("limit-menu").replace("Switch to gpt-6-luna", entry);
    assert!(
        matches!(detect(&screen), ScreenState::NeedsHuman(ref why) if why.contains(entry)),
        "{:?}",
        detect(&screen)
    );
    // Not even when Esc is offered as "back".
    let added = fixture("limit-menu").replace(
        "  3. Keep current model (never show again)",
        &format!("  3. Keep current model (never show again)\n  4. {entry}"),
    );
    assert!(matches!(detect(&added), ScreenState::NeedsHuman(_)));
}

#[test]
fn the_model_picker_is_left_to_a_person() {
    assert!(matches!(
        detect(fixture("model-picker")),
        ScreenState::NeedsHuman(ref why) if why.contains("GPT-5.5 (current)")
    ));
    assert_eq!(input_text(fixture("model-picker")), None);
}

#[test]
fn a_menu_without_esc_back_is_not_dismissed() {
    let screen = fixture("limit-menu").replace("esc back", "esc confirm");
    assert!(matches!(detect(&screen), ScreenState::NeedsHuman(_)));
}

#[test]
fn a_numbered_prompt_in_the_history_is_not_a_menu() {
    let screen = fixture("idle-after-answer").replace("› slow task", "› 1. slow task");
    assert_eq!(detect(&screen), ScreenState::Idle);
}

#[test]
fn typed_text_shows_in_the_composer_until_submitted() {
    assert_eq!(input_text(fixture("draft")).as_deref(), Some("say hi"));
    assert_eq!(input_text(fixture("idle-fresh")).as_deref(), Some(""));
    assert_eq!(input_text(fixture("busy")).as_deref(), Some(""));
    assert_eq!(input_text(fixture("limit-menu")), None);
    let multi = fixture("draft").replace("› say hi", "› first line\n  second line");
    assert_eq!(
        detect(&multi),
        ScreenState::Draft("first line\nsecond line".into())
    );
}

#[test]
fn a_shell_below_an_old_codex_screen_is_not_codex() {
    let mut screen = fixture("idle-fresh").trim_end().to_string();
    for i in 0..5 {
        screen.push_str(&format!("\nuser@host:~/work$ echo {i}\n{i}"));
    }
    assert_eq!(detect(&screen), ScreenState::Unknown);
}

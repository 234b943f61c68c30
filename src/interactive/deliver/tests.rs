use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::FutureExt;
use futures::future::BoxFuture;

use super::*;

const IDLE: &str = include_str!("../../../tests/fixtures/screens/claude-idle-after-limit.txt");
const MENU: &str = include_str!("../../../tests/fixtures/screens/claude-limit-menu.txt");
const RETRYING: &str = include_str!("../../../tests/fixtures/screens/claude-retrying.txt");
const BUSY: &str = include_str!("../../../tests/fixtures/screens/claude-busy.txt");
const DRAFT: &str = include_str!("../../../tests/fixtures/screens/claude-draft.txt");
const SHELL: &str = include_str!("../../../tests/fixtures/screens/shell-prompt.txt");

#[derive(Debug, Clone, PartialEq)]
enum Did {
    Text(String),
    Key(Key),
}

/// A terminal that shows scripted screens and reacts to keys the way Claude does: Esc closes the menu, Enter
/// submits what was typed.
struct FakeTerm {
    screens: Mutex<Vec<String>>,
    typed: Mutex<String>,
    did: Mutex<Vec<Did>>,
    /// Enter is ignored this many times (a paste-like burst the TUI did not submit).
    ignore_enter: Mutex<u32>,
    /// Typed text is shown wrapped at this width, continuation lines indented, as a TUI does.
    wrap_at: Option<usize>,
}

impl FakeTerm {
    fn new(screens: &[&str]) -> FakeTerm {
        FakeTerm {
            screens: Mutex::new(screens.iter().rev().map(|s| s.to_string()).collect()),
            typed: Mutex::new(String::new()),
            did: Mutex::new(Vec::new()),
            ignore_enter: Mutex::new(0),
            wrap_at: None,
        }
    }

    fn did(&self) -> Vec<Did> {
        self.did.lock().unwrap().clone()
    }

    fn current(&self) -> String {
        let screens = self.screens.lock().unwrap();
        let base = screens.last().cloned().unwrap_or_else(|| IDLE.to_string());
        let typed = self.typed.lock().unwrap().clone();
        let typed = match self.wrap_at {
            Some(width) => typed
                .chars()
                .collect::<Vec<_>>()
                .chunks(width)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("\n  "),
            None => typed,
        };
        if typed.is_empty() {
            base
        } else {
            base.replacen("❯\u{a0}", &format!("❯\u{a0}{typed}"), 1)
        }
    }
}

impl Terminal for FakeTerm {
    fn describe(&self) -> String {
        "fake".into()
    }

    fn screen(&self) -> BoxFuture<'_, Result<String, TerminalError>> {
        let shown = self.current();
        let mut screens = self.screens.lock().unwrap();
        if screens.len() > 1 && screens.last().is_some_and(|s| s != MENU) {
            screens.pop();
        }
        async move { Ok(shown) }.boxed()
    }

    fn send_text<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), TerminalError>> {
        self.did.lock().unwrap().push(Did::Text(text.into()));
        self.typed.lock().unwrap().push_str(text);
        async { Ok(()) }.boxed()
    }

    fn send_key(&self, key: Key) -> BoxFuture<'_, Result<(), TerminalError>> {
        self.did.lock().unwrap().push(Did::Key(key));
        let mut screens = self.screens.lock().unwrap();
        match key {
            Key::Escape if screens.last().is_some_and(|s| s == MENU) => {
                screens.pop();
            }
            Key::Enter => {
                let mut ignore = self.ignore_enter.lock().unwrap();
                if *ignore > 0 {
                    *ignore -= 1;
                } else {
                    self.typed.lock().unwrap().clear();
                }
            }
            _ => {}
        }
        async { Ok(()) }.boxed()
    }
}

fn fast() -> Typing {
    Typing {
        settle: Duration::from_millis(1),
        poll: Duration::from_millis(1),
        patience: Duration::from_millis(200),
    }
}

fn always_ok() -> Result<(), DeliverError> {
    Ok(())
}

async fn run(term: &FakeTerm, check: &AgentCheck) -> Result<(), DeliverError> {
    deliver(
        term,
        &crate::assistants::claude::screen::ClaudeScreen,
        check,
        "continue",
        fast(),
        &CancellationToken::new(),
    )
    .await
}

/// The limit menu is closed with Esc before anything is typed: one already open, or one the agent opens just
/// after its prompt looked idle (Codex's model-switch offer at the end of a turn past 90% of a usage window).
#[rstest::rstest]
#[case::open(&[MENU, IDLE])]
#[case::opening_after_an_idle_look(&[IDLE, MENU])]
#[tokio::test]
async fn the_limit_menu_is_dismissed_with_esc_then_text_and_enter_go_separately(
    #[case] screens: &[&str],
) {
    let term = FakeTerm::new(screens);
    run(&term, &always_ok).await.unwrap();
    assert_eq!(
        term.did(),
        vec![
            Did::Key(Key::Escape),
            Did::Text("continue".into()),
            Did::Key(Key::Enter)
        ]
    );
}

#[tokio::test]
async fn nothing_is_typed_while_the_agent_retries_or_works() {
    let term = FakeTerm::new(&[RETRYING, RETRYING, BUSY, IDLE]);
    run(&term, &always_ok).await.unwrap();
    assert_eq!(
        term.did(),
        vec![Did::Text("continue".into()), Did::Key(Key::Enter)]
    );

    let term = FakeTerm::new(&[RETRYING]);
    let err = run(&term, &always_ok).await.unwrap_err();
    assert!(matches!(err, DeliverError::StillBusy { .. }), "{err}");
    assert!(term.did().is_empty());
}

#[tokio::test]
async fn a_users_draft_or_a_foreign_screen_is_never_typed_into() {
    let term = FakeTerm::new(&[DRAFT]);
    assert_eq!(
        run(&term, &always_ok).await.unwrap_err(),
        DeliverError::Draft("say hi".into())
    );
    let term = FakeTerm::new(&[SHELL]);
    let err = run(&term, &always_ok).await.unwrap_err();
    assert!(matches!(err, DeliverError::Unrecognised { .. }), "{err}");
    assert!(term.did().is_empty());
}

#[tokio::test]
async fn an_agent_that_left_the_foreground_gets_no_keys() {
    let term = FakeTerm::new(&[IDLE]);
    let check = || Err(DeliverError::NotForeground { pid: 9 });
    assert_eq!(
        run(&term, &check).await.unwrap_err(),
        DeliverError::NotForeground { pid: 9 }
    );
    assert!(term.did().is_empty());

    // It leaves between the text and the Enter: the Enter is not sent.
    let term = FakeTerm::new(&[IDLE]);
    let calls = AtomicBool::new(false);
    let check = move || {
        if calls.swap(true, Ordering::SeqCst) {
            Err(DeliverError::NotForeground { pid: 9 })
        } else {
            Ok(())
        }
    };
    assert!(run(&term, &check).await.is_err());
    assert!(!term.did().contains(&Did::Key(Key::Enter)));
}

#[tokio::test]
async fn an_unsubmitted_prompt_gets_one_more_enter() {
    let term = FakeTerm::new(&[IDLE]);
    *term.ignore_enter.lock().unwrap() = 1;
    run(&term, &always_ok).await.unwrap();
    assert_eq!(
        term.did(),
        vec![
            Did::Text("continue".into()),
            Did::Key(Key::Enter),
            Did::Key(Key::Enter)
        ]
    );

    let term = FakeTerm::new(&[IDLE]);
    *term.ignore_enter.lock().unwrap() = 5;
    assert_eq!(
        run(&term, &always_ok).await.unwrap_err(),
        DeliverError::NotSubmitted
    );
}

#[tokio::test]
async fn a_wrapped_unsubmitted_prompt_gets_one_more_enter() {
    let mut term = FakeTerm::new(&[IDLE]);
    term.wrap_at = Some(3);
    *term.ignore_enter.lock().unwrap() = 1;
    run(&term, &always_ok).await.unwrap();
    assert_eq!(
        term.did(),
        vec![
            Did::Text("continue".into()),
            Did::Key(Key::Enter),
            Did::Key(Key::Enter)
        ]
    );
}

#[tokio::test]
async fn a_menu_that_does_not_close_is_left_alone() {
    let term = FakeTerm::new(&[]);
    let stuck = NeverClose(&term);
    let err = deliver(
        &stuck,
        &crate::assistants::claude::screen::ClaudeScreen,
        &always_ok,
        "continue",
        fast(),
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err, DeliverError::MenuStuck(MAX_ESCAPES));
    assert_eq!(
        term.did(),
        vec![Did::Key(Key::Escape); MAX_ESCAPES as usize]
    );
}

/// Wraps a fake so that keys are recorded but the screen never changes.
struct NeverClose<'a>(&'a FakeTerm);

impl Terminal for NeverClose<'_> {
    fn describe(&self) -> String {
        "stuck".into()
    }
    fn screen(&self) -> BoxFuture<'_, Result<String, TerminalError>> {
        async { Ok(MENU.to_string()) }.boxed()
    }
    fn send_text<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), TerminalError>> {
        self.0.send_text(text)
    }
    fn send_key(&self, key: Key) -> BoxFuture<'_, Result<(), TerminalError>> {
        self.0.did.lock().unwrap().push(Did::Key(key));
        async { Ok(()) }.boxed()
    }
}

/// Rules that see a menu only a person should answer.
struct AsksAHuman;

impl ScreenRules for AsksAHuman {
    fn detect(&self, _screen: &str) -> ScreenState {
        ScreenState::NeedsHuman("a menu offers to buy more usage".into())
    }
    fn input_text(&self, _screen: &str) -> Option<String> {
        None
    }
}

#[tokio::test]
async fn a_menu_only_a_person_may_answer_gets_no_key_at_all() {
    let term = FakeTerm::new(&[MENU]);
    let err = deliver(
        &term,
        &AsksAHuman,
        &always_ok,
        "continue",
        fast(),
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err,
        DeliverError::NeedsHuman("a menu offers to buy more usage".into())
    );
    assert!(term.did().is_empty());
}

/// Codex 0.171.0 shows a long prompt wrapped over three indented lines: it is still the typed prompt, and a
/// swallowed Enter is pressed again (taking it for "submitted" left the checkpoint request unsent).
#[test]
fn a_wrapped_or_partly_shown_prompt_is_still_the_typed_one() {
    let screen = include_str!("../../../tests/fixtures/screens/codex/typed-wrapped.txt");
    let typed = "palingenesis: you have used 92% of your session usage limit (it resets 2026-12-01 16:16 UTC; \
                 the checkpoint threshold is 90%). Before the limit stops you, write a checkpoint now: update \
                 /tmp/pal-e2e-iZWp7u/work/Next-step.md with what is done, what is in progress, the exact next \
                 steps and the files involved, so that the work can carry on from it alone after the reset (the \
                 palingenesis MCP tool `checkpoint` writes it for you). Then go on with the task.";
    let rules = &crate::assistants::codex::screen::RULES;
    let boxed = rules.input_text(screen).unwrap();
    assert!(boxed.contains('\n'), "{boxed}");
    assert!(rules.holds_typed(&boxed, typed));
    assert!(rules.holds_typed("the exact next\n  steps", typed));
    assert!(!rules.holds_typed("", typed));
    assert!(!rules.holds_typed("something the user typed", typed));
}

/// Qwen Code 0.24.4 shows only the last lines of a long prompt in its input, wrapped, with its cursor (a
/// zero-width space) after it: still the typed prompt.
#[test]
fn a_prompt_scrolled_out_of_a_short_input_is_still_the_typed_one() {
    let screen = include_str!("../../../tests/fixtures/screens/qwen/typed-long.txt");
    let typed: String = (0..60)
        .map(|i| format!("step {i} of the plan is done; "))
        .collect();
    let rules = &crate::assistants::qwen::screen::RULES;
    let boxed = rules.input_text(screen).unwrap();
    assert!(boxed.starts_with("the plan is done; step 15"), "{boxed}");
    assert!(rules.holds_typed(&boxed, &typed));
}

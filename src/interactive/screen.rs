//! What an interactive agent's screen shows, as far as palingenesis types into it. Each assistant that can be
//! resumed in its terminal reads its own screen ([`ScreenRules`], in its folder under `crate::assistants`);
//! an assistant without rules is never typed into.

/// What the agent's screen shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScreenState {
    /// A limit menu is open and would swallow typed text (it offers to wait, to upgrade, to switch models).
    /// Dismiss it with Esc; never choose an entry.
    LimitMenu,
    /// The agent retries by itself or counts down to continue by itself ("Retrying in 4s · attempt 1/3").
    Retrying,
    /// A turn is running.
    Busy,
    /// The prompt is ready and empty: text typed now is the next prompt.
    Idle,
    /// The prompt holds text nobody sent (the user's draft, or what was just typed).
    Draft(String),
    /// Not a screen palingenesis knows (another program, a dialog): never type into it.
    Unknown,
    /// Something only a person should answer: a menu with no safe way out (its only exits spend money,
    /// change the model, or are ambiguous). Neither typed into nor dismissed; a human is asked at once.
    NeedsHuman(String),
}

/// How one assistant's screen is read. Pure functions of the visible text (rows separated by newlines).
pub trait ScreenRules: Send + Sync {
    fn detect(&self, screen: &str) -> ScreenState;
    /// The text in the agent's input box, if the screen shows one (empty when the box is empty).
    fn input_text(&self, screen: &str) -> Option<String>;

    /// Whether an input box showing `boxed` still holds `typed`, typed into it when it was empty. By default:
    /// the box is not empty and its text, whitespace aside (a TUI wraps long lines at spaces or mid-word and
    /// indents the continuation), is part of what was typed (a box of limited height shows only part of it).
    /// An assistant that shows typed text otherwise (folded into a placeholder) says so here.
    fn holds_typed(&self, boxed: &str, typed: &str) -> bool {
        holds_typed_text(boxed, typed)
    }
}

/// The default [`ScreenRules::holds_typed`].
pub fn holds_typed_text(boxed: &str, typed: &str) -> bool {
    let squash = |text: &str| -> String { text.chars().filter(|c| !c.is_whitespace()).collect() };
    let boxed = squash(boxed);
    !boxed.is_empty() && squash(typed).contains(&boxed)
}

impl ScreenState {
    /// What a prompt holding `text` (trimmed, empty when the prompt is) shows: idle when empty, else a draft.
    pub fn at_prompt(text: String) -> ScreenState {
        if text.is_empty() {
            ScreenState::Idle
        } else {
            ScreenState::Draft(text)
        }
    }
}

/// Screen rules made of two plain functions, for assistants whose rules need no state.
pub struct ScreenFns {
    pub detect: fn(&str) -> ScreenState,
    pub input_text: fn(&str) -> Option<String>,
}

impl ScreenRules for ScreenFns {
    fn detect(&self, screen: &str) -> ScreenState {
        (self.detect)(screen)
    }

    fn input_text(&self, screen: &str) -> Option<String> {
        (self.input_text)(screen)
    }
}

//! Codex rollout lines through one parser state, as a file is read.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut state = palingenesis::assistants::codex::records::CodexRolloutState::new(chrono_tz::UTC);
    for line in text.lines() {
        let _ = state.feed(line);
    }
});

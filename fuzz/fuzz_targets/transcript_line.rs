//! A Claude Code transcript line: parsed, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    let _ = palingenesis::assistants::claude::records::parse_transcript_line(line, chrono_tz::UTC);
});

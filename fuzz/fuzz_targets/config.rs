//! A config file's text: loaded and validated (errors located), never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = palingenesis::config::validate_text(text, std::path::Path::new("config.toml"));
});

//! Reset-time parsing of usage-limit messages ("resets 3pm (Europe/Paris)", "try again in 2 hours", …).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let now = "2026-11-24T10:00:00Z".parse().expect("valid instant");
    let ctx = palingenesis::classify::ClassifyContext::new(now, chrono_tz::Europe::Paris);
    let _ = palingenesis::classify::parse_reset(text, &ctx);
});

//! A Claude Code hook payload (what a hook command reads on stdin).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let ctx = palingenesis::classify::ClassifyContext::new(chrono::Utc::now(), chrono_tz::UTC);
        let _ = palingenesis::assistants::claude::records::parse_hook_payload(&v, &ctx);
    }
});

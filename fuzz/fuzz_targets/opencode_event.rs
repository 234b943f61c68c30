//! An opencode server-sent event's data, and a message as the store holds it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let _ = palingenesis::sources::opencode::sse::Event::parse(data);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(data) {
        let ctx = palingenesis::classify::ClassifyContext::new(chrono::Utc::now(), chrono_tz::UTC);
        let _ = palingenesis::formats::opencode::classify_message(&v, &ctx);
        let _ = palingenesis::formats::opencode::parse_session_status(&v);
    }
});

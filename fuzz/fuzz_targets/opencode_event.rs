//! An opencode server-sent event's data, and a message as the store holds it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let _ = palingenesis::assistants::opencode::source::sse::Event::parse(data);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(data) {
        let ctx = palingenesis::classify::ClassifyContext::new(chrono::Utc::now(), chrono_tz::UTC);
        let _ = palingenesis::assistants::opencode::records::classify_message(&v, &ctx);
        let _ = palingenesis::assistants::opencode::records::parse_session_status(&v);
    }
});

//! One socket frame's body as the daemon (a request) and a client (a reply) decode it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = serde_json::from_slice::<palingenesis::protocol::Request>(body);
    let _ = serde_json::from_slice::<palingenesis::protocol::Response>(body);
});

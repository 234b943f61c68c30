//! Lists far larger than one request frame: 10,000 tracked sessions list fine over the socket, and a reply
//! is never dropped silently.

mod support;

use palingenesis::ipc::client::Client;
use palingenesis::protocol::{Request, Response};
use support::home::Home;

const SESSIONS: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_sessions_list_and_preview_fine() {
    let home = Home::new();
    tokio::task::block_in_place(|| home.start());
    let mut client = Client::connect(&home.paths().socket(), "test")
        .await
        .unwrap();
    for i in 0..SESSIONS {
        // Half are waiting on a stop, so `preview` has as much to say as `sessions`; each arrives as the
        // assistant's own hook would bring it.
        let id = format!("{i:08}-2222-4333-8444-555555555555");
        let payload = if i % 2 == 0 {
            serde_json::json!({"session_id": id, "cwd": format!("/work/project-{i}"),
                "hook_event_name": "UserPromptSubmit",
                "transcript_path": format!("/home/someone/.claude/projects/-work-project-{i}/{id}.jsonl")})
        } else {
            serde_json::json!({"session_id": id, "cwd": format!("/work/project-{i}"),
                "hook_event_name": "StopFailure", "error": "rate_limit",
                "last_assistant_message": "API Error: Request rejected (429) · 429 Too Many Requests, please slow down and retry later",
                "transcript_path": format!("/home/someone/.claude/projects/-work-project-{i}/{id}.jsonl")})
        };
        let hook = Request::Hook(palingenesis::protocol::HookForward {
            assistant: palingenesis::assistants::claude::ASSISTANT,
            payload,
        });
        let resp = client.request(&hook).await.unwrap();
        assert!(!matches!(resp, Response::Error(_)), "{resp:?}");
    }

    let listed = tokio::task::block_in_place(|| home.ok(&["sessions", "--json"]));
    assert!(
        listed.len() > palingenesis::protocol::MAX_FRAME_BYTES,
        "the list is larger than one request frame ({} bytes)",
        listed.len()
    );
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let count = v
        .as_array()
        .or_else(|| v["sessions"].as_array())
        .map(Vec::len)
        .unwrap_or_else(|| panic!("no list in {}", &listed[..200]));
    assert_eq!(count, SESSIONS);
    let preview = tokio::task::block_in_place(|| home.ok(&["preview", "--json"]));
    assert!(preview.contains("00009999-2222"), "{}", &preview[..200]);
    tokio::task::block_in_place(|| home.ok(&["daemon", "stop"]));
}

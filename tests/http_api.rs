//! The HTTP control surface end to end: the real daemon, real HTTP on 127.0.0.1, the same protocol.

mod common;

use std::time::Duration;

use common::{Home, free_port};
use futures::StreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_with_token_sse_and_metrics() {
    let port = free_port();
    let home = Home::new();
    home.write_config(&format!(
        "[http]\nenabled = true\nbind = \"127.0.0.1:{port}\"\ntoken = \"t0ken-abc\"\n"
    ));
    tokio::task::block_in_place(|| home.start());
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let denied = http
        .get(format!("{base}/api/v1/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let wrong = http
        .get(format!("{base}/api/v1/status"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let status: serde_json::Value = http
        .get(format!("{base}/api/v1/status"))
        .bearer_auth("t0ken-abc")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["response"], "status");
    assert_eq!(status["mode"], "monitoring");

    let mut sse = http
        .get(format!("{base}/api/v1/events?type=Paused"))
        .bearer_auth("t0ken-abc")
        .send()
        .await
        .unwrap()
        .bytes_stream();
    let paused = http
        .post(format!("{base}/api/v1/pause"))
        .bearer_auth("t0ken-abc")
        .send()
        .await
        .unwrap();
    assert_eq!(paused.status(), 200);
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while !seen.contains("event: Paused") {
            seen.push_str(&String::from_utf8_lossy(
                &sse.next().await.unwrap().unwrap(),
            ));
        }
    })
    .await
    .expect("the Paused event arrives on the SSE stream");

    let cli_status = tokio::task::block_in_place(|| home.ok(&["status"]));
    assert!(
        cli_status.contains("PAUSED"),
        "HTTP and CLI share one daemon state"
    );

    let generic: serde_json::Value = http
        .post(format!("{base}/api/v1/request"))
        .bearer_auth("t0ken-abc")
        .json(&serde_json::json!({"request": "resume"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(generic["response"], "done");

    let missing = http
        .post(format!("{base}/api/v1/skip"))
        .bearer_auth("t0ken-abc")
        .json(&serde_json::json!({"session": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let metrics = http
        .get(format!("{base}/metrics"))
        .bearer_auth("t0ken-abc")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("palingenesis_events_total{event=\"Paused\""),
        "{metrics}"
    );
    tokio::task::block_in_place(|| home.ok(&["daemon", "stop"]));
}

#[test]
fn exposed_binds_need_a_token() {
    let home = Home::new();
    home.write_config("[http]\nenabled = true\nbind = \"0.0.0.0:7654\"\n");
    let (code, _, err) = home.run(&["config", "validate"]);
    assert_eq!(code, 1);
    assert!(err.contains("http.token"), "{err}");
}

//! The HTTP control surface end to end: the real daemon, real HTTP on 127.0.0.1, the same protocol.

mod support;

use std::time::Duration;

use futures::StreamExt;
use support::home::{Home, free_port};

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

    // Writing an agent's checkpoint (files in the directory it names) is for the local MCP server only.
    let project = tempfile::tempdir().unwrap();
    let checkpoint = http
        .post(format!("{base}/api/v1/request"))
        .bearer_auth("t0ken-abc")
        .json(
            &serde_json::json!({"request": "checkpoint", "cwd": project.path(), "next_step": "x"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(checkpoint.status(), 403);
    assert!(!project.path().join("Next-step.md").exists());

    let missing = http
        .post(format!("{base}/api/v1/skip"))
        .bearer_auth("t0ken-abc")
        .json(&serde_json::json!({"session": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let forget = http
        .post(format!("{base}/api/v1/forget"))
        .bearer_auth("t0ken-abc")
        .json(&serde_json::json!({"session": "nope", "force": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(forget.status(), 404);
    let body: serde_json::Value = forget.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no tracked session matches"),
        "{body}"
    );

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

/// The dashboard's sign-in: a wrong token is refused, the right one sets an HttpOnly cookie that reads the
/// API, and a state change by cookie alone needs the client header another origin cannot send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_sign_in_cookie_reads_and_needs_the_client_header_to_act() {
    let port = free_port();
    let home = tokio::task::block_in_place(|| Home::started_with_http(port, "c00kie-t0ken"));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let page = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(page.text().await.unwrap().contains("/dashboard/app.js"));

    let login = |token: &'static str| {
        http.post(format!("{base}/api/v1/login"))
            .json(&serde_json::json!({ "token": token }))
            .send()
    };
    assert_eq!(login("wrong").await.unwrap().status(), 401);
    let ok = login("c00kie-t0ken").await.unwrap();
    assert_eq!(ok.status(), 200);
    let set_cookie = ok.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_string();

    let status = http
        .get(format!("{base}/api/v1/status"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200, "the cookie reads");
    let forged = http
        .post(format!("{base}/api/v1/pause"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401, "no state change by cookie alone");
    let paused = http
        .post(format!("{base}/api/v1/pause"))
        .header("cookie", &cookie)
        .header("x-palingenesis", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(paused.status(), 200);
    let status = tokio::task::block_in_place(|| home.ok(&["status"]));
    assert!(status.contains("PAUSED"), "{status}");
    tokio::task::block_in_place(|| home.ok(&["daemon", "stop"]));
    assert!(
        !home.log().contains("c00kie-t0ken"),
        "the token stays out of the log"
    );
}

#[test]
fn a_blank_token_is_rejected_even_on_loopback() {
    let home = Home::new();
    home.write_config("[http]\nenabled = true\nbind = \"127.0.0.1:7654\"\ntoken = \"  \"\n");
    let (code, _, err) = home.run(&["config", "validate"]);
    assert_eq!(code, 1);
    assert!(err.contains("http.token") && err.contains("blank"), "{err}");
}

/// A daemon with the HTTP API on a free port and no configured token.
fn http_home(extra: &str) -> (Home, String) {
    let port = free_port();
    let home = Home::new();
    home.write_config(&format!(
        "[http]\nenabled = true\nbind = \"127.0.0.1:{port}\"\n{extra}"
    ));
    home.start();
    (home, format!("http://127.0.0.1:{port}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_configured_token_one_is_generated_privately_and_required() {
    use std::os::unix::fs::PermissionsExt;
    let (home, base) = tokio::task::block_in_place(|| http_home(""));
    let file = home.paths().state_dir.join("http-token");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the token file is private");
    let token = std::fs::read_to_string(&file).unwrap().trim().to_string();
    let http = reqwest::Client::new();
    for path in [
        "/api/v1/status",
        "/api/v1/sessions",
        "/api/v1/events",
        "/metrics",
    ] {
        let resp = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path} without a token");
    }
    let ok = http
        .get(format!("{base}/api/v1/sessions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    tokio::task::block_in_place(|| home.ok(&["daemon", "stop"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_and_rebinding_are_refused_and_auth_comes_before_the_body() {
    let (home, base) = tokio::task::block_in_place(|| http_home("token = \"t0ken-abc\"\n"));
    let http = reqwest::Client::new();
    // A web page's "simple" cross-origin POST: text/plain, an Origin, no preflight.
    let cross = http
        .post(format!("{base}/api/v1/request"))
        .header("Origin", "http://evil.example")
        .header("Content-Type", "text/plain")
        .body(r#"{"request":"pause"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    // Even with the token (a page cannot know it, but a stolen one must not work from a browser).
    let cross_auth = http
        .post(format!("{base}/api/v1/pause"))
        .header("Origin", "http://evil.example")
        .bearer_auth("t0ken-abc")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_auth.status(), 403);
    // DNS rebinding: the page's own name in Host.
    let rebound = http
        .get(format!("{base}/api/v1/status"))
        .header("Host", "evil.example")
        .bearer_auth("t0ken-abc")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    // Unauthenticated with a body it could not parse: 401, not 400/415.
    for (ctype, body) in [("text/plain", "{"), ("application/json", "{")] {
        let resp = http
            .post(format!("{base}/api/v1/request"))
            .header("Content-Type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{ctype}");
    }
    let plain = http
        .post(format!("{base}/api/v1/request"))
        .bearer_auth("t0ken-abc")
        .header("Content-Type", "text/plain")
        .body(r#"{"request":"pause"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 415, "control bodies are JSON only");
    let localhost = http
        .get(format!("{base}/api/v1/status"))
        .header("Host", "localhost")
        .bearer_auth("t0ken-abc")
        .send()
        .await
        .unwrap();
    assert_eq!(localhost.status(), 200);
    let status = tokio::task::block_in_place(|| home.ok(&["status"]));
    assert!(
        !status.contains("PAUSED"),
        "no refused request paused: {status}"
    );
    tokio::task::block_in_place(|| home.ok(&["daemon", "stop"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_rotates_the_token() {
    let (home, base) = tokio::task::block_in_place(|| http_home("token = \"old-t0ken\"\n"));
    let http = reqwest::Client::new();
    let status = |token: &'static str| {
        let req = http.get(format!("{base}/api/v1/status")).bearer_auth(token);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("old-t0ken").await, 200);
    let port = base.rsplit(':').next().unwrap().to_string();
    home.write_config(&format!(
        "[http]\nenabled = true\nbind = \"127.0.0.1:{port}\"\ntoken = \"new-t0ken\"\n"
    ));
    tokio::task::block_in_place(|| home.ok(&["daemon", "reload"]));
    assert_eq!(status("old-t0ken").await, 401, "the old token is revoked");
    assert_eq!(status("new-t0ken").await, 200);
    tokio::task::block_in_place(|| home.ok(&["daemon", "stop"]));
}

#[test]
fn config_init_generates_a_private_token_and_keeps_it() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let out = home.ok(&["config", "init"]);
    let file = home.paths().state_dir.join("http-token");
    assert!(out.contains(&file.display().to_string()), "{out}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let token = std::fs::read_to_string(&file).unwrap();
    home.ok(&["config", "init", "--force"]);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        token,
        "an existing token is kept"
    );
}

//! Prometheus end to end: the real daemon's `/metrics` passes `promtool check metrics` in the default format,
//! answers OpenMetrics when asked, and has every metric the shipped Grafana dashboard and alert rules query;
//! the alert rules pass `promtool check rules` and their unit tests. `status` reports the stops it handled.
//!
//! Needs `promtool` (Debian `prometheus`): `scripts/install-test-deps.sh`.

mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::home::{Home, free_port};

const TOKEN: &str = "obs-t0ken";

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
}

fn promtool(args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed (scripts/install-test-deps.sh)");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Every `palingenesis_*` metric name in `text` (PromQL, YAML, JSON).
fn queried_metrics(text: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"palingenesis_[a-z_]+").unwrap();
    re.find_iter(text).map(|m| m.as_str().to_string()).collect()
}

/// Every PromQL expression of a Grafana dashboard (panel targets and template-variable queries).
fn dashboard_exprs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expr" | "definition", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => dashboard_exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| dashboard_exprs(i, out)),
        _ => {}
    }
}

/// GET `url` with the token (and `accept`): the content type and the body.
fn scrape(url: &str, accept: Option<&str>) -> (String, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new().get(url).bearer_auth(TOKEN);
        if let Some(accept) = accept {
            req = req.header("accept", accept);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
        (content_type, resp.text().await.unwrap())
    })
}

#[test]
fn metrics_pass_promtool_and_have_what_the_dashboard_and_alerts_query() {
    let port = free_port();
    let home = Home::started_with_http(port, TOKEN);
    let session = "0b5e7a1c-2d3e-4f50-8a1b-2c3d4e5f6a7b";
    home.claude_api_error(session, "billing_error", "Credit balance is too low");
    home.wait_event("NeedsAttention");
    home.ok(&["pause"]);

    let url = format!("http://127.0.0.1:{port}/metrics");
    let (content_type, plain) = scrape(&url, None);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    let (ok, said) = promtool(&["check", "metrics"], Some(&plain));
    assert!(ok && said.trim().is_empty(), "promtool: {said}\n{plain}");
    for line in [
        "palingenesis_sessions_needing_attention{assistant=\"claude\"} 1",
        "palingenesis_paused 1",
        "palingenesis_events_total{event=\"StopDetected\",assistant=\"claude\",reason=\"needs_human\"} 1",
    ] {
        assert!(plain.lines().any(|l| l == line), "{line} in:\n{plain}");
    }

    let (content_type, open) = scrape(
        &url,
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
    );
    assert!(content_type.starts_with("application/openmetrics-text; version=1.0.0"));
    assert!(open.ends_with("# EOF\n"));

    let exposed: BTreeSet<String> = plain
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect();
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(deploy("grafana/palingenesis.json")).unwrap(),
    )
    .expect("the Grafana dashboard is valid JSON");
    let mut exprs = Vec::new();
    dashboard_exprs(&dashboard, &mut exprs);
    assert!(exprs.len() >= 10, "{exprs:?}");
    let alerts = std::fs::read_to_string(deploy("prometheus/alerts.yml")).unwrap();
    let used: BTreeSet<String> = exprs
        .iter()
        .map(String::as_str)
        .chain([alerts.as_str()])
        .flat_map(queried_metrics)
        .collect();
    let missing: Vec<&String> = used.difference(&exposed).collect();
    assert!(
        missing.is_empty(),
        "queried but not exposed: {missing:?}\nexposed: {exposed:?}"
    );

    let status: serde_json::Value = serde_json::from_str(&home.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["saves"]["total"]["stops"], 1, "{status}");
    assert!(home.ok(&["status"]).contains("saves: 0 of 1 stops"));
    home.ok(&["daemon", "stop"]);
}

#[test]
fn alert_rules_pass_promtool_and_their_unit_tests() {
    let (ok, said) = promtool(
        &[
            "check",
            "rules",
            deploy("prometheus/alerts.yml").to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{said}");
    let (ok, said) = promtool(
        &[
            "test",
            "rules",
            deploy("prometheus/alerts_test.yml").to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{said}");
}

//! The control plane tells the truth, seen as a user sees it: `daemon reload` applies each changed key or
//! names the ones it cannot, `config set` says what happens next, `daemon restart` keeps a working daemon
//! when the new config is broken.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use support::home::{Home, free_port, wait_until};

type Seen = Arc<Mutex<Vec<String>>>;

async fn record(State(seen): State<Seen>, body: Bytes) -> &'static str {
    seen.lock()
        .unwrap()
        .push(String::from_utf8_lossy(&body).into_owned());
    "ok"
}

fn webhook() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let url =
        support::home::serve_in_thread(Router::new().fallback(record).with_state(seen.clone()));
    (url, seen)
}

#[test]
fn a_notification_turned_off_by_reload_stops_firing() {
    let (url, seen) = webhook();
    let home = Home::new();
    home.write_config(&format!(
        "[monitoring]\nassistants = [\"claude\"]\n\
         [notifications]\nenabled = true\nevents = [\"Paused\"]\nwebhook_url = \"{url}/hook\"\n"
    ));
    home.start();
    home.ok(&["pause"]);
    wait_until(Duration::from_secs(20), || seen.lock().unwrap().len() == 1);

    let out = home.ok(&["config", "set", "notifications.enabled", "false"]);
    assert!(
        out.contains("apply it now with `palingenesis daemon reload`"),
        "{out}"
    );
    let out = home.ok(&["daemon", "reload"]);
    assert!(out.contains("applied now: notifications.enabled"), "{out}");
    assert!(!out.contains("NOT applied"), "{out}");
    let changed = home.wait_event("ConfigChanged");
    assert_eq!(changed["outcome"], "applied", "{changed}");
    assert_eq!(
        changed["metadata"]["applied"],
        serde_json::json!(["notifications.enabled"])
    );

    home.ok(&["resume"]);
    home.ok(&["pause"]);
    // Turned on again, the notifier sends the next pause: had the old one kept running, the one in
    // between would have been sent first.
    home.ok(&["config", "set", "notifications.enabled", "true"]);
    home.ok(&["daemon", "reload"]);
    home.ok(&["resume"]);
    home.ok(&["pause"]);
    wait_until(Duration::from_secs(20), || seen.lock().unwrap().len() >= 2);
    let paused = home.events_of("Paused");
    let sent: Vec<serde_json::Value> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0]["ts"], paused[0]["ts"]);
    assert_eq!(
        sent[1]["ts"], paused[2]["ts"],
        "the pause while off was not sent"
    );
}

#[test]
fn reload_names_what_waits_for_a_restart_and_config_set_says_so() {
    let home = Home::new();
    home.write_config("[monitoring]\nassistants = [\"claude\"]\n");
    let out = home.ok(&["config", "set", "resume.prompt", "go on"]);
    assert!(out.contains("the daemon is not running"), "{out}");
    home.start();
    let out = home.ok(&["config", "set", "daemon.log_level", "debug"]);
    assert!(
        out.contains("takes effect at `palingenesis daemon restart`"),
        "{out}"
    );
    home.ok(&["config", "set", "claude.binary", "/opt/elsewhere/claude"]);
    let out = home.ok(&["daemon", "reload"]);
    assert!(out.contains("applied now: claude.binary"), "{out}");
    assert!(
        out.contains("NOT applied until `palingenesis daemon restart`: daemon.log_level"),
        "{out}"
    );
    let changed = home.wait_event("ConfigChanged");
    assert_eq!(changed["outcome"], "partly_applied", "{changed}");
    assert_eq!(
        changed["metadata"]["not_applied"][0]["key"],
        "daemon.log_level"
    );
    // A later reload still says what waits.
    let out = home.ok(&["daemon", "reload"]);
    assert!(
        out.contains("still waiting for a restart from an earlier reload: daemon.log_level"),
        "{out}"
    );
}

#[test]
fn reload_moves_the_http_api_to_a_new_address() {
    let (a, b) = (free_port(), free_port());
    let home = Home::new();
    let config = |port: u16| {
        format!(
            "[monitoring]\nassistants = [\"claude\"]\n\
             [http]\nenabled = true\nbind = \"127.0.0.1:{port}\"\ntoken = \"t0ken-for-tests\"\n"
        )
    };
    home.write_config(&config(a));
    home.start();
    let answers = |port: u16| {
        std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_secs(2),
        )
        .is_ok()
    };
    assert!(answers(a));
    home.write_config(&config(b));
    let out = home.ok(&["daemon", "reload"]);
    assert!(out.contains("applied now: http.bind"), "{out}");
    assert!(answers(b), "the new address answers");
    wait_until(Duration::from_secs(10), || !answers(a));
}

#[test]
fn restart_with_a_broken_config_keeps_the_running_daemon() {
    let home = Home::new();
    home.write_config("[monitoring]\nassistants = [\"claude\"]\n");
    home.start();
    let pid = home.daemon_pid();
    home.write_config("[resume\n");
    let (code, out, err) = home.run(&["daemon", "restart"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("not restarting"), "{err}");
    assert!(err.contains("config.toml:1:"), "{err}");
    assert_eq!(home.daemon_pid(), pid, "the working daemon still runs");
}

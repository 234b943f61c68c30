//! The resume engine end to end on the real opencode: `opencode serve` supervised by the real daemon (or
//! plain `opencode run` with no server) against the fake chat-completions provider, with the daemon's
//! environment being the opencode sandbox's. Assertions are on what the provider received and on the audit
//! trail. opencode takes ~4 s to start, so each scenario does as much as it can with one server.

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::clients::{self, Opencode};
use support::fake_provider::{
    FakeProvider, OPENCODE_TITLE_MARKER, RecordedRequest, Reply, Scripted,
};
use support::home::{Home, scheduled_at};
use support::process::run_with_timeout;

const RUN: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(90);

/// Quick, deterministic resume settings for tests.
const FAST: &str = "[resume]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\njitter = false\nreset_margin_secs = 2\nverify_timeout_secs = 60\n";

/// A daemon whose environment is the opencode sandbox's (same HOME, XDG dirs, offline flags), as for a
/// real user; `resume_extra` goes into `[resume]`, `opencode_extra` into `[opencode]`.
fn daemon(oc: &Opencode, resume_extra: &str, opencode_extra: &str) -> Home {
    let mut home = Home::new();
    for (k, v) in oc.sandbox.env() {
        home = home.with_env(k, v);
    }
    home.write_config(&format!(
        "{FAST}{resume_extra}\n[opencode]\nbinary = \"{}\"\n{opencode_extra}\n",
        clients::opencode_bin().display()
    ));
    home.start();
    home
}

/// A daemon supervising `opencode serve` in the sandbox's work dir; returns it and the server's URL once
/// it is ready.
fn supervised(oc: &Opencode, resume_extra: &str, opencode_extra: &str) -> (Home, String) {
    let port = support::free_port();
    let home = daemon(
        oc,
        resume_extra,
        &format!(
            "supervise = true\nserve_port = {port}\nproject_dir = \"{}\"\nrestart_delay_secs = 1\nserver_password = \"{PASSWORD}\"\n{opencode_extra}",
            oc.sandbox.cwd.display()
        ),
    );
    let started = home.wait_events("ServerStarted", 1, WAIT).remove(0);
    let url = started["metadata"]["url"].as_str().unwrap().to_string();
    assert_eq!(url, format!("http://127.0.0.1:{port}"));
    (home, url)
}

/// Every supervised server here is protected with this password (basic auth, user `opencode`).
const PASSWORD: &str = "s3cret-for-tests";

/// One HTTP call to the opencode server, as a user's client would make it (with the password).
fn call(method: &str, url: &str, body: Option<Value>) -> (u16, String) {
    call_with(Some(PASSWORD), method, url, body)
}

fn call_with(
    password: Option<&str>,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new()
            .request(method.parse().unwrap(), url)
            .timeout(Duration::from_secs(30));
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(p) = password {
            req = req.basic_auth("opencode", Some(p));
        }
        let resp = req.send().await.expect("opencode server answers");
        (
            resp.status().as_u16(),
            resp.text().await.unwrap_or_default(),
        )
    })
}

/// Create a session in the sandbox's work dir and send it `prompt` without waiting; returns its id.
fn prompt_new_session(oc: &Opencode, url: &str, prompt: &str) -> String {
    let dir = oc.sandbox.cwd.display().to_string();
    let (status, body) = call(
        "POST",
        &format!("{url}/session?directory={dir}"),
        Some(json!({})),
    );
    assert_eq!(status, 200, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = call(
        "POST",
        &format!("{url}/session/{id}/prompt_async?directory={dir}"),
        Some(json!({"parts": [{"type": "text", "text": prompt}]})),
    );
    assert_eq!(status, 204, "{body}");
    id
}

/// The model requests of the conversation itself (not opencode's title side request).
fn turns(fake: &FakeProvider) -> Vec<RecordedRequest> {
    fake.model_requests()
        .into_iter()
        .filter(|r| !r.body_contains(OPENCODE_TITLE_MARKER))
        .collect()
}

fn wait_turns(fake: &FakeProvider, n: usize) {
    fake.wait_for(RUN, &format!("{n} conversation request(s)"), |reqs| {
        reqs.iter()
            .filter(|r| r.protocol.is_some() && !r.body_contains(OPENCODE_TITLE_MARKER))
            .count()
            >= n
    });
}

fn session_of(e: &Value) -> &str {
    e["session"].as_str().unwrap_or_default()
}

fn ts(e: &Value) -> DateTime<Utc> {
    e["ts"].as_str().unwrap().parse().unwrap()
}

fn kill9(pid: u64) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
}

fn pid_of(e: &Value) -> u64 {
    e["metadata"]["pid"]
        .as_u64()
        .expect("server pid in the audit")
}

/// A 429 on every try opencode makes by itself (1 + 5 retries): it gives up, and the daemon waits out
/// the retry-after and continues the same session through the server's API.
#[test]
fn rate_limit_beyond_opencodes_retries_is_resumed_in_the_same_session() {
    let fake = FakeProvider::start();
    fake.push(
        Scripted::once(Reply::rate_limited(Duration::from_millis(20)))
            .unless_body_contains(OPENCODE_TITLE_MARKER)
            .times(6),
    );
    let oc = clients::opencode(&fake.v1_url()).build();
    let (home, url) = supervised(&oc, "", "");
    let anonymous = call_with(None, "GET", &format!("{url}/session"), None);
    assert_eq!(anonymous.0, 401, "the server wants its password");

    let id = prompt_new_session(&oc, &url, "write the first chapter");
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), id);

    let stop = &home.events_of("StopDetected")[0];
    assert_eq!(stop["reason"], "rate_limit");
    assert_eq!(stop["metadata"]["detail"]["retry_after_secs"], 1);
    let scheduled = &home.events_of("ResumeScheduled")[0];
    assert_eq!(scheduled["action"], "resume_same_session");
    let started = home.events_of("ResumeStarted");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["metadata"]["reach"], "api");
    assert!(
        ts(&started[0]) >= ts(stop) + chrono::Duration::seconds(2),
        "retry-after 1 s + the 1 s margin of an exact instant waited"
    );
    let at = scheduled_at(scheduled);
    assert!(
        at <= ts(scheduled) + chrono::Duration::seconds(2),
        "an exact Retry-After gets about a second of margin, not a minute: {at}"
    );

    let reqs = turns(&fake);
    assert_eq!(
        reqs.len(),
        7,
        "6 refused tries, then the resume:\n{}",
        fake.describe()
    );
    let resumed = &reqs[6];
    assert_eq!(resumed.last_user_text().as_deref(), Some("continue"));
    let log = home.log();
    assert!(log.contains("following opencode events"), "{log}");
    assert!(
        !log.contains(PASSWORD),
        "the password never reaches the log"
    );
    assert!(!home.ok(&["config", "show"]).contains(PASSWORD));
    assert!(
        resumed.body_contains("write the first chapter"),
        "the history goes with it"
    );
}

/// kill -9 of the supervised server mid-turn: it is restarted once healthy and the interrupted session is
/// resumed once; killing it again and again stops at the crash-loop limit.
#[test]
fn a_killed_server_is_restarted_and_its_interrupted_session_resumed_until_the_crash_loop_limit() {
    let fake = FakeProvider::start();
    fake.push(
        Scripted::once(Reply::text("too late").delayed(Duration::from_secs(120)))
            .unless_body_contains(OPENCODE_TITLE_MARKER),
    );
    let oc = clients::opencode(&fake.v1_url()).build();
    let (home, url) = supervised(&oc, "", "max_restarts = 2\nrestart_window_secs = 600\n");
    let first = home.events_of("ServerStarted")[0].clone();

    let id = prompt_new_session(&oc, &url, "a long job");
    wait_turns(&fake, 1);
    kill9(pid_of(&first));

    let restarted = home.wait_events("ServerRestarted", 1, WAIT).remove(0);
    assert_ne!(pid_of(&restarted), pid_of(&first));
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), id);
    let stop = &home.events_of("StopDetected")[0];
    assert_eq!(stop["reason"], "transient");
    assert!(
        stop["message"].as_str().unwrap().contains("mid-turn"),
        "{stop}"
    );
    let started = &home.events_of("ResumeStarted")[0];
    assert!(
        ts(started) >= ts(&restarted),
        "resumed only after the restarted server was ready"
    );
    let reqs = turns(&fake);
    assert_eq!(reqs.len(), 2, "{}", fake.describe());
    assert_eq!(reqs[1].last_user_text().as_deref(), Some("continue"));
    assert!(reqs[1].body_contains("a long job"));

    // Crash loop: two restarts are allowed in the window, the third death is final.
    kill9(pid_of(&restarted));
    let again = home.wait_events("ServerRestarted", 2, WAIT).remove(1);
    kill9(pid_of(&again));
    let gave_up = home.wait_events("ServerGaveUp", 1, WAIT).remove(0);
    assert!(
        gave_up["message"].as_str().unwrap().contains("2 restarts"),
        "{gave_up}"
    );
    assert!(
        home.events_of("NeedsAttention")
            .iter()
            .any(|e| e["message"] == gave_up["message"])
    );
    home.ok(&["status"]);
    assert_eq!(home.events_of("ServerRestarted").len(), 2);
    assert_eq!(
        home.events_of("ResumeStarted").len(),
        1,
        "the session was resumed once"
    );
}

/// The context overflows and opencode's own compaction overflows too: the configured `summarize`
/// strategy summarizes the session through the API, then continues it.
#[test]
fn context_overflow_that_compaction_cannot_fix_runs_the_summarize_strategy() {
    let fake = FakeProvider::start();
    fake.push(
        Scripted::once(Reply::PromptTooLong)
            .unless_body_contains(OPENCODE_TITLE_MARKER)
            .times(2),
    );
    let oc = clients::opencode(&fake.v1_url()).build();
    let (home, url) = supervised(&oc, "", "context_strategy = \"summarize\"\n");

    let id = prompt_new_session(&oc, &url, "build the time machine");
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), id);
    assert_eq!(
        home.events_of("StopDetected")[0]["reason"],
        "context_exhausted"
    );
    assert_eq!(
        home.events_of("ResumeScheduled")[0]["action"],
        "summarize_and_continue"
    );
    let reqs = turns(&fake);
    assert_eq!(
        reqs.len(),
        4,
        "turn, failed compaction, summary, continue:\n{}",
        fake.describe()
    );
    let summary = &reqs[2];
    assert_ne!(summary.last_user_text().as_deref(), Some("continue"));
    assert!(
        summary.body_contains("build the time machine"),
        "the summary reads the history"
    );
    assert_eq!(reqs[3].last_user_text().as_deref(), Some("continue"));
}

/// The same overflow with the default `new_session` strategy: a new session on the same server, seeded
/// from Next-step.md, without the old history.
#[test]
fn context_overflow_with_the_new_session_strategy_starts_a_seeded_session_on_the_server() {
    let fake = FakeProvider::start();
    fake.push(
        Scripted::once(Reply::PromptTooLong)
            .unless_body_contains(OPENCODE_TITLE_MARKER)
            .times(2),
    );
    let oc = clients::opencode(&fake.v1_url()).build();
    std::fs::write(
        oc.sandbox.cwd.join("Next-step.md"),
        "Step 7: wire the flux capacitor to the relay board.\n",
    )
    .unwrap();
    let (home, url) = supervised(&oc, "", "");

    let old = prompt_new_session(&oc, &url, "build the time machine");
    let created = home.wait_events("SessionCreated", 1, WAIT).remove(0);
    let new = session_of(&created).to_string();
    assert_ne!(new, old);
    assert_eq!(created["metadata"]["replaces"], old);
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), new);

    let reqs = turns(&fake);
    assert_eq!(
        reqs.len(),
        3,
        "turn, failed compaction, new session:\n{}",
        fake.describe()
    );
    let seeded = reqs[2].last_user_text().unwrap();
    assert!(seeded.contains("wire the flux capacitor"), "{seeded}");
    assert!(
        !reqs[2].body_contains("build the time machine"),
        "no old history"
    );
    let (_, listed) = call("GET", &format!("{url}/session"), None);
    assert!(listed.contains(&new), "the new session lives on the server");
}

/// A 429 asking for an hour: opencode waits it out itself (status `retry`), so the daemon only notes it;
/// then the user aborts the turn, and nothing is resumed either.
#[test]
fn opencodes_own_long_retry_and_a_user_abort_are_left_alone() {
    let fake = FakeProvider::start();
    fake.push(
        Scripted::once(Reply::rate_limited(Duration::from_secs(3600)))
            .unless_body_contains(OPENCODE_TITLE_MARKER),
    );
    let oc = clients::opencode(&fake.v1_url()).build();
    let (home, url) = supervised(&oc, "", "");

    let id = prompt_new_session(&oc, &url, "something slow");
    wait_turns(&fake, 1);
    // The only thing the daemon hears about this session before the abort is opencode retrying.
    support::home::wait_until(RUN, || home.ok(&["sessions"]).contains(&id[..8]));
    let sessions: Value = serde_json::from_str(&home.ok(&["sessions", "--json"])).unwrap();
    assert_eq!(sessions["sessions"][0]["state"], "running");
    assert!(home.events_of("StopDetected").is_empty());

    let (status, body) = call("POST", &format!("{url}/session/{id}/abort"), None);
    assert_eq!(status, 200, "{body}");
    let done = home.wait_events("SessionDone", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), id);
    assert_eq!(done["reason"], "user_exit");
    home.ok(&["status"]);
    assert!(home.events_of("ResumeScheduled").is_empty());
    assert!(home.events_of("ResumeStarted").is_empty());
    assert_eq!(
        turns(&fake).len(),
        1,
        "opencode was still waiting out the hour"
    );

    let server = pid_of(&home.events_of("ServerStarted")[0]);
    home.ok(&["daemon", "stop"]);
    assert!(
        !support::home::alive(server as u32),
        "the daemon stops the server it owns"
    );
}

/// No server: a plain `opencode run` that gave up on a 429 is found in the database and resumed with
/// `opencode run --session`.
#[test]
fn a_plain_run_that_hit_a_429_is_found_in_the_database_and_resumed_with_the_cli() {
    let fake = FakeProvider::start();
    fake.push(Scripted::once(Reply::rate_limited(Duration::from_millis(20))).times(6));
    let oc = clients::opencode(&fake.v1_url()).build();
    let home = daemon(&oc, "", "");

    let run = run_with_timeout(
        oc.command(&["run", "--title", "t", "write the first chapter"]),
        RUN,
    );
    assert_eq!(run.code(), Some(1), "{}", run.report());

    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    let stop = &home.events_of("StopDetected")[0];
    assert_eq!(stop["reason"], "rate_limit");
    assert_eq!(stop["metadata"]["origin"], "database");
    assert_eq!(session_of(&done), session_of(stop));
    let started = home.events_of("ResumeStarted");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["metadata"]["reach"], "headless");

    let reqs = turns(&fake);
    assert_eq!(reqs.len(), 7, "{}", fake.describe());
    // `opencode run` quotes a prompt with spaces ("\"write the first chapter\""), not a single word.
    assert_eq!(
        reqs[0].last_user_text().as_deref(),
        Some("\"write the first chapter\"")
    );
    assert_eq!(reqs[6].last_user_text().as_deref(), Some("continue"));
    assert!(reqs[6].body_contains("write the first chapter"));
}

/// The user's own `opencode serve` (not the daemon's), with the test password; killed when dropped.
struct UsersServer {
    child: std::process::Child,
    url: String,
}

impl UsersServer {
    fn start(oc: &Opencode, port: u16) -> UsersServer {
        let log =
            std::fs::File::create(oc.sandbox.dir.path().join(format!("serve-{port}.log"))).unwrap();
        let mut cmd = oc.serve(port);
        cmd.env("OPENCODE_SERVER_PASSWORD", PASSWORD)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = cmd.spawn().expect("start opencode serve");
        let url = format!("http://127.0.0.1:{port}");
        support::home::wait_until(RUN, || healthy(&url));
        UsersServer { child, url }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for UsersServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether `GET /global/health` answers 200 (with the password).
fn healthy(url: &str) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/global/health"))
            .basic_auth("opencode", Some(PASSWORD))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() == 200)
    })
}

/// A daemon attached to the user's server at `url` (not supervising it); returns once it follows the
/// server's events. `opencode_extra` goes into `[opencode]`.
fn attached(oc: &Opencode, url: &str, opencode_extra: &str) -> Home {
    let home = daemon(
        oc,
        "",
        &format!(
            "supervise = false\nserver_url = \"{url}\"\nserver_password = \"{PASSWORD}\"\n{opencode_extra}"
        ),
    );
    support::home::wait_until(RUN, || home.log().contains("following opencode events"));
    home
}

/// A 6-try 429 for the conversation only, so opencode gives up on its own and the daemon must act.
fn refuse_six_times(fake: &FakeProvider) {
    fake.push(
        Scripted::once(Reply::rate_limited(Duration::from_millis(20)))
            .unless_body_contains(OPENCODE_TITLE_MARKER)
            .times(6),
    );
}

/// The resume of a session stopped by a 429 that went through the server's API: 6 refusals, then
/// "continue" with the history; the stop was heard on the event stream.
fn assert_resumed_through_the_api(home: &Home, fake: &FakeProvider, id: &str, prompt: &str) {
    let done = home.wait_events("ResumeCompleted", 1, WAIT).remove(0);
    assert_eq!(session_of(&done), id);
    let stop = &home.events_of("StopDetected")[0];
    assert_eq!(session_of(stop), id);
    assert_eq!(stop["reason"], "rate_limit");
    let started = home.events_of("ResumeStarted");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["metadata"]["reach"], "api", "{}", started[0]);
    let reqs = turns(fake);
    assert_eq!(reqs.len(), 7, "{}", fake.describe());
    assert_eq!(reqs[6].last_user_text().as_deref(), Some("continue"));
    assert!(reqs[6].body_contains(prompt), "the history goes with it");
}

/// Attached to a server the user runs (`server_url`, `supervise = false`): a session stopped by a 429
/// beyond opencode's retries is resumed in place through that server, and stopping the daemon leaves the
/// user's server running.
#[test]
fn a_users_own_server_is_followed_and_resumed_through_and_left_running() {
    let fake = FakeProvider::start();
    refuse_six_times(&fake);
    let oc = clients::opencode(&fake.v1_url()).build();
    let server = UsersServer::start(&oc, support::free_port());
    let home = attached(&oc, &server.url, "");
    assert!(
        home.events_of("ServerStarted").is_empty(),
        "not ours to start"
    );

    let id = prompt_new_session(&oc, &server.url, "write the first chapter");
    assert_resumed_through_the_api(&home, &fake, &id, "write the first chapter");
    let (_, messages) = call("GET", &format!("{}/session/{id}/message", server.url), None);
    assert!(
        messages.contains("continue"),
        "the resume lives on the user's server"
    );

    home.ok(&["daemon", "stop"]);
    let pid = server.child.id();
    assert!(
        support::home::alive(pid),
        "the user's server is not the daemon's to stop"
    );
    assert!(healthy(&server.url));
}

/// The user restarts their server (killed, then started again on the same port) while the daemon runs:
/// the event follower reconnects, and a later stop is still detected and resumed through it.
#[test]
fn a_users_server_restarted_on_the_same_port_is_followed_again() {
    let fake = FakeProvider::start();
    let oc = clients::opencode(&fake.v1_url()).build();
    let port = support::free_port();
    let mut server = UsersServer::start(&oc, port);
    // The daemon looks at no database, so only the event stream can tell it about the stop.
    let elsewhere = oc.sandbox.dir.path().join("not-opencode.db");
    let home = attached(
        &oc,
        &server.url,
        &format!("db_path = \"{}\"\n", elsewhere.display()),
    );

    server.kill();
    let server = UsersServer::start(&oc, port);
    support::home::wait_until(RUN, || {
        home.log().matches("following opencode events").count() >= 2
    });
    refuse_six_times(&fake);
    let id = prompt_new_session(&oc, &server.url, "write the second chapter");
    assert_resumed_through_the_api(&home, &fake, &id, "write the second chapter");
    assert_eq!(
        home.events_of("StopDetected")[0]["metadata"]["origin"],
        "server_events",
        "heard on the reconnected stream"
    );
}

/// A supervised server that stops answering (SIGSTOP: alive, port open, silent) fails its health checks,
/// is killed and replaced, and the daemon follows the new one.
#[test]
fn a_hung_supervised_server_is_killed_and_replaced() {
    let fake = FakeProvider::start();
    let oc = clients::opencode(&fake.v1_url()).build();
    let (home, _url) = supervised(&oc, "", "health_check_interval_secs = 1\n");
    let hung = pid_of(&home.events_of("ServerStarted")[0]);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(hung as i32),
        nix::sys::signal::Signal::SIGSTOP,
    )
    .unwrap();

    let restarted = home.wait_events("ServerRestarted", 1, WAIT).remove(0);
    assert_ne!(pid_of(&restarted), hung);
    assert!(
        !support::home::alive(hung as u32),
        "the hung server was killed"
    );
    let log = home.log();
    assert!(log.contains("3 health checks failed"), "{log}");
    // The replacement is a new `opencode serve` (node, then its own binary): slow to start on a loaded machine.
    support::home::wait_until(WAIT, || {
        home.log().matches("following opencode events").count() >= 2
    });
    assert!(home.events_of("ServerGaveUp").is_empty());
}

use std::time::Duration;

use chrono::{DateTime, Utc};
use rstest::rstest;

use super::*;
use crate::model::{Origin, Signal, StopReason};

const ID: &str = "01a20b09-b2d2-79d1-afd3-98259ca731fc";

fn line(ts: &str, kind: &str, payload: &str) -> String {
    format!(r#"{{"timestamp":"{ts}","type":"{kind}","payload":{payload}}}"#)
}

fn meta() -> String {
    line(
        "2026-11-24T00:00:00Z",
        "session_meta",
        &format!(r#"{{"id":"{ID}","cwd":"/w"}}"#),
    )
}

fn started() -> String {
    line(
        "2026-11-24T00:00:01Z",
        "event_msg",
        r#"{"type":"task_started"}"#,
    )
}

fn answer() -> String {
    line(
        "2026-11-24T00:00:02Z",
        "response_item",
        r#"{"type":"message","role":"assistant","content":[]}"#,
    )
}

fn completed() -> String {
    line(
        "2026-11-24T00:00:03Z",
        "event_msg",
        r#"{"type":"task_complete"}"#,
    )
}

fn path() -> PathBuf {
    PathBuf::from(format!(
        "/c/sessions/2026/11/24/rollout-2026-11-24T00-00-00-{ID}.jsonl"
    ))
}

fn batch(lines: &[String], offset_after: u64, from_start: bool, closed: bool) -> FileLines {
    FileLines {
        path: path(),
        lines: lines.to_vec(),
        offset_after,
        from_start,
        skipped_oversize: 0,
        invalid_utf8: 0,
        writer_closed: closed,
        catch_up: false,
    }
}

fn now() -> DateTime<Utc> {
    "2026-11-24T00:00:10Z".parse().unwrap()
}

#[rstest]
#[case(
    "/c/sessions/2026/11/24/rollout-2026-11-24T00-00-00-01a20b09-b2d2-79d1-afd3-98259ca731fc.jsonl",
    true,
    Some(ID)
)]
#[case("/c/sessions/2026/11/24/rollout-nothing.jsonl", true, None)]
#[case("/c/sessions/2026/11/24/history.jsonl", false, None)]
#[case("/c/sessions/rollout-x.json", false, None)]
fn rollout_names(#[case] p: &str, #[case] rollout: bool, #[case] id: Option<&str>) {
    assert_eq!(is_rollout(Path::new(p)), rollout);
    assert_eq!(rollout_thread_id(Path::new(p)).as_deref(), id);
}

#[test]
fn lines_become_observations_of_the_file_s_thread() {
    let mut r = Rollouts::new(Tz::UTC);
    let (obs, schedule) = r.apply(
        &batch(&[meta(), started(), answer()], 300, true, false),
        now(),
    );
    let signals: Vec<&Signal> = obs.iter().map(|o| &o.signal).collect();
    assert_eq!(
        signals,
        [&Signal::Started { resumed: false }, &Signal::Progress]
    );
    assert!(obs.iter().all(|o| o.session.id == ID
        && o.origin == Origin::Rollout
        && o.locator.cwd.as_deref() == Some(Path::new("/w"))
        && o.locator.transcript == Some(path())));
    assert_eq!(schedule, Schedule::At(now() + QUIET));
    let (obs, schedule) = r.apply(&batch(&[completed()], 400, false, false), now());
    assert_eq!(
        obs[0].signal,
        Signal::Stopped {
            reason: StopReason::Completed,
            evidence: "task_complete".into()
        }
    );
    assert_eq!(schedule, Schedule::Disarm);
}

fn open_turn() -> Rollouts {
    let mut r = Rollouts::new(Tz::UTC);
    r.apply(&batch(&[meta(), started()], 200, true, false), now());
    r
}

fn probe(written: Option<bool>, len: u64) -> Probe {
    Probe {
        written,
        len: Some(len),
    }
}

#[test]
fn a_writer_closing_an_open_turn_is_looked_at_at_once_and_its_death_is_a_crash() {
    let mut r = open_turn();
    let (_, schedule) = r.apply(&batch(&[], 200, false, true), now());
    assert_eq!(schedule, Schedule::At(now()));
    assert!(r.turn_open(&path()));
    let later = now() + chrono::Duration::seconds(1);
    let (crash, schedule) = r.looked(&path(), probe(Some(false), 200), later);
    let crash = crash.expect("a crash");
    assert_eq!(
        crash.signal,
        Signal::Stopped {
            reason: StopReason::Transient { status: None },
            evidence: CRASH_EVIDENCE.into()
        }
    );
    assert_eq!(
        crash.at,
        now(),
        "the writer was last alive when it closed the file"
    );
    assert_eq!(crash.session.id, ID);
    assert_eq!(schedule, Schedule::Disarm);
    // Reported once.
    assert!(!r.turn_open(&path()));
    assert_eq!(r.looked(&path(), probe(Some(false), 200), later).0, None);
}

#[test]
fn a_live_writer_is_looked_at_again_later_and_later() {
    let mut r = open_turn();
    let mut waits = Vec::new();
    for _ in 0..8 {
        match r.looked(&path(), probe(Some(true), 200), now()) {
            (None, Schedule::At(at)) => waits.push((at - now()).num_seconds()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(waits, [120, 240, 480, 900, 900, 900, 900, 900]);
    // New lines start the count again.
    let (_, schedule) = r.apply(&batch(&[answer()], 300, false, false), now());
    assert_eq!(schedule, Schedule::At(now() + QUIET));
}

#[test]
fn lines_on_their_way_are_waited_for_and_a_torn_tail_is_not() {
    let mut r = open_turn();
    let (crash, schedule) = r.looked(&path(), probe(Some(false), 260), now());
    assert!(crash.is_none());
    assert!(matches!(schedule, Schedule::At(_)));
    // The same length again: the last line was never finished.
    let (crash, _) = r.looked(&path(), probe(Some(false), 260), now());
    assert!(crash.is_some());
}

#[test]
fn the_lines_that_arrive_decide_instead() {
    let mut r = open_turn();
    r.looked(&path(), probe(Some(false), 300), now());
    let (obs, schedule) = r.apply(&batch(&[completed()], 300, false, true), now());
    assert_eq!(schedule, Schedule::Disarm);
    assert!(matches!(
        obs[0].signal,
        Signal::Stopped {
            reason: StopReason::Completed,
            ..
        }
    ));
}

#[test]
fn a_platform_that_cannot_tell_reports_no_crash() {
    let mut r = open_turn();
    assert_eq!(
        r.looked(&path(), probe(None, 200), now()),
        (None, Schedule::Disarm)
    );
}

#[test]
fn a_primed_open_turn_is_looked_at_at_once() {
    let mut r = Rollouts::new(Tz::UTC);
    let mut state = crate::assistants::codex::records::CodexRolloutState::new(Tz::UTC);
    for l in [meta(), started()] {
        state.feed(&l).unwrap();
    }
    let primed = Primed {
        state,
        last_at: Some("2026-11-24T00:00:01Z".parse().unwrap()),
        len: 200,
    };
    assert_eq!(r.insert_primed(&path(), primed, now()), Schedule::At(now()));
    let (crash, _) = r.looked(&path(), probe(Some(false), 200), now());
    let crash = crash.unwrap();
    assert_eq!(
        crash.at,
        "2026-11-24T00:00:01Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(crash.locator.cwd.as_deref(), Some(Path::new("/w")));
}

fn limit_failed() -> String {
    line(
        "2026-11-24T00:00:05Z",
        "event_msg",
        r#"{"type":"task_complete","turn_id":"1","last_agent_message":null,"error":{"message":"You've hit your usage limit. Try again at 2:46 AM.","codex_error_info":"usage_limit_exceeded"}}"#,
    )
}

fn primed(lines: &[String]) -> Primed {
    let mut state = crate::assistants::codex::records::CodexRolloutState::new(Tz::UTC);
    for l in lines {
        state.feed(l).unwrap();
    }
    Primed {
        state,
        last_at: None,
        len: 500,
    }
}

/// Start-up catch-up: a rollout whose last turn ended on a limit before the daemon ran yields that stop,
/// once, as a catch-up; one that went on afterwards yields nothing.
#[test]
fn a_catch_up_batch_yields_only_a_final_stop() {
    let all = [meta(), started(), answer(), limit_failed()];
    let mut r = Rollouts::new(Tz::UTC);
    r.insert_primed(&path(), primed(&all), now());
    let tail = FileLines {
        catch_up: true,
        ..batch(&all[2..], 500, false, false)
    };
    let obs = r.catch_up(&tail, now()).expect("the stop at the end");
    assert_eq!(obs.origin, Origin::CatchUp);
    assert_eq!(obs.session.id, ID);
    assert_eq!(obs.locator.cwd.as_deref(), Some(Path::new("/w")));
    assert!(matches!(
        obs.signal,
        Signal::Stopped {
            reason: StopReason::UsageLimit { .. },
            ..
        }
    ));

    let went_on = [meta(), started(), limit_failed(), started(), answer()];
    let mut r = Rollouts::new(Tz::UTC);
    r.insert_primed(&path(), primed(&went_on), now());
    let tail = FileLines {
        catch_up: true,
        ..batch(&went_on[1..], 500, false, false)
    };
    assert_eq!(
        r.catch_up(&tail, now()),
        None,
        "handled: the session went on"
    );
}

/// The whole source on a real directory: a process that holds an open turn's rollout open for writing
/// dies, and the engine hears of a crash; a finished rollout whose writer exits is left alone.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_dying_mid_turn_is_reported_as_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sessions");
    let day = root.join("2026/11/24");
    std::fs::create_dir_all(&day).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let tracker = TaskTracker::new();
    let stop = CancellationToken::new();
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    spawn(
        root.clone(),
        HashMap::new(),
        crate::wiring::feed_settings(&crate::config::Config::default()),
        tx,
        &tracker,
        stop.clone(),
        ready_tx,
    );
    ready.await.expect("the watcher is in place");

    let finished = day.join(format!(
        "rollout-2026-11-24T00-00-00-{}.jsonl",
        "11111111-2222-3333-4444-555555555555"
    ));
    std::fs::write(
        &finished,
        format!("{}\n{}\n{}\n", meta(), started(), completed()),
    )
    .unwrap();
    let crashed = day.join(format!("rollout-2026-11-24T00-00-00-{ID}.jsonl"));
    // Like Codex: the writer creates the rollout, keeps it open, and dies without task_complete.
    let mut writer = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"exec 3>>"$FILE"; printf '%s\n%s\n' "$META" "$STARTED" >&3; read _"#)
        .env("FILE", &crashed)
        .env("META", meta())
        .env("STARTED", started())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let quiet = tokio::time::timeout(Duration::from_millis(1500), async {
        loop {
            if let SourceEvent::Observe(obs) = rx.recv().await.expect("source alive")
                && matches!(&obs.signal, Signal::Stopped { evidence, .. } if evidence == CRASH_EVIDENCE)
            {
                return obs;
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "no crash while the writer lives: {quiet:?}");
    drop(writer.stdin.take());
    writer.wait().unwrap();

    let crash = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match rx.recv().await.expect("source alive") {
                SourceEvent::Observe(obs)
                    if matches!(
                        &obs.signal,
                        Signal::Stopped { evidence, .. } if evidence == CRASH_EVIDENCE
                    ) =>
                {
                    return obs;
                }
                _ => {}
            }
        }
    })
    .await
    .expect("a crash is reported");
    assert_eq!(crash.session.id, ID);
    assert_eq!(crash.locator.transcript.as_deref(), Some(crashed.as_path()));
    stop.cancel();
    tracker.close();
    tracker.wait().await;
    while let Ok(msg) = rx.try_recv() {
        if let SourceEvent::Observe(obs) = msg {
            assert!(
                !matches!(&obs.signal, Signal::Stopped { evidence, .. } if evidence == CRASH_EVIDENCE),
                "only one crash: {obs:?}"
            );
        }
    }
}

#[test]
fn quiet_rollouts_with_a_closed_turn_are_forgotten_and_open_ones_kept() {
    let mut r = open_turn();
    let done = PathBuf::from(
        "/s/2026/11/24/rollout-2026-11-24T00-00-00-01a20b09-b2d2-79d1-afd3-98259ca7aaaa.jsonl",
    );
    let closed = FileLines {
        path: done.clone(),
        ..batch(&[meta(), started(), completed()], 300, true, false)
    };
    r.apply(&closed, now());
    assert_eq!(r.kept(), 2);
    r.forget_quiet(now());
    assert_eq!(r.kept(), 2, "touched now: kept");
    r.forget_quiet(now() + chrono::Duration::hours(1));
    assert_eq!(r.kept(), 1);
    assert!(!r.knows(&done));
    assert!(r.turn_open(&path()));
}

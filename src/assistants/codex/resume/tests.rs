use std::time::Instant;

use rstest::rstest;
use tokio::sync::mpsc;

use super::*;
use crate::model::{HumanCause, UsageWindow};

fn ctx() -> ClassifyContext {
    ClassifyContext::new("2026-11-24T00:51:56Z".parse().unwrap(), Tz::UTC)
}

macro_rules! exec {
    ($name:literal) => {
        include_str!(concat!(
            "../../../../tests/fixtures/real/codex/",
            $name,
            ".exec.jsonl"
        ))
    };
}

fn stopped(reason: StopReason) -> TurnOutcome {
    TurnOutcome::Stopped {
        reason,
        evidence: String::new(),
    }
}

/// Evidence aside, what the real CLI's `--json` output says.
#[rstest]
#[case::success(exec!("success"), 0, TurnOutcome::Succeeded)]
#[case::resumed(exec!("usage-limit-session-then-resume"), 0, TurnOutcome::Succeeded)]
#[case::usage_limit(exec!("usage-limit-session"), 1, stopped(StopReason::UsageLimit {
    resets_at: Some("2026-11-24T01:51:00Z".parse().unwrap()), window: UsageWindow::Session, precision: crate::model::Precision::Minute  }))]
#[case::rate_limit(exec!("rate-limit-429-default-retries"), 1, stopped(StopReason::RateLimit { retry_after_secs: None }))]
#[case::context(exec!("context-window-exceeded"), 1, stopped(StopReason::ContextExhausted))]
#[case::overloaded(exec!("server-overloaded-in-stream"), 1, stopped(StopReason::Transient { status: None }))]
#[case::http_503(exec!("overloaded-503-http"), 1, stopped(StopReason::Transient { status: Some(503) }))]
#[case::silent_success("", 0, TurnOutcome::Exited { code: Some(0) })]
fn exec_output(#[case] stdout: &str, #[case] code: i32, #[case] want: TurnOutcome) {
    let got = interpret_exec(stdout, "", Some(code), &ctx()).expect("a verdict");
    let strip = |o: TurnOutcome| match o {
        TurnOutcome::Stopped { reason, .. } => stopped(reason),
        other => other,
    };
    assert_eq!(strip(got), want);
}

#[test]
fn a_failed_turn_keeps_its_message_as_evidence() {
    let got = interpret_exec(exec!("usage-limit-session"), "", Some(1), &ctx()).unwrap();
    let TurnOutcome::Stopped { evidence, .. } = got else {
        panic!("{got:?}")
    };
    assert_eq!(
        evidence,
        "You’ve hit your usage limit. Try again at 1:51 AM."
    );
}

#[test]
fn a_resume_that_never_ran_names_codex_s_complaint() {
    let stderr = "WARNING: proceeding, even though we could not create PATH aliases\nError: thread/resume: thread/resume failed: no rollout found for thread id 01a2 (code -32600)\n";
    let err = interpret_exec("", stderr, Some(1), &ctx()).unwrap_err();
    assert!(
        err.to_string().contains("no rollout found for thread id"),
        "{err}"
    );
}

#[test]
fn a_stop_on_stderr_is_classified() {
    let got = interpret_exec(
        "",
        "Quota exceeded. Check your plan and billing details.\n",
        Some(1),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        got,
        TurnOutcome::Stopped {
            reason: StopReason::NeedsHuman {
                cause: HumanCause::QuotaOrPlan
            },
            evidence: "Quota exceeded. Check your plan and billing details.".into()
        }
    );
}

fn resumer(binary: PathBuf, extra: &[&str]) -> Arc<CodexHeadless> {
    let section = crate::assistants::codex::config::Section {
        binary: Some(binary),
        extra_args: extra.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    CodexHeadless::new(&section, std::time::Duration::from_secs(300))
}

#[test]
fn command_lines_name_the_thread_and_never_the_last_session() {
    let r = resumer(PathBuf::from("codex"), &["-m", "gpt-5.5"]);
    assert_eq!(
        r.args([
            "resume".to_string(),
            "T".to_string(),
            "continue".to_string()
        ]),
        [
            "exec",
            "--skip-git-repo-check",
            "--json",
            "-m",
            "gpt-5.5",
            "resume",
            "T",
            "continue"
        ]
    );
    let careless = resumer(PathBuf::from("codex"), &["--last"]);
    assert!(
        !careless
            .args(["go".to_string()])
            .iter()
            .any(|a| a == "--last")
    );
}

/// A stand-in `codex` that prints `thread.started`, then takes its time over the turn.
fn slow_codex(dir: &std::path::Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("codex");
    std::fs::write(
        &path,
        "#!/bin/sh\necho \"$@\" > args.txt\necho '{\"type\":\"thread.started\",\"thread_id\":\"01a20b09-cd39-7201-aca7-48c416831da2\"}'\necho '{\"type\":\"turn.started\"}'\nsleep 2\necho '{\"type\":\"turn.completed\",\"usage\":{}}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn a_new_session_s_thread_is_reported_before_the_turn_ends() {
    let dir = tempfile::tempdir().unwrap();
    let r = resumer(slow_codex(dir.path()), &[]);
    let (tx, mut rx) = mpsc::channel(1);
    let begun = Instant::now();
    let run = tokio::spawn(r.start_session(StartRequest {
        env: Default::default(),
        cwd: dir.path().to_path_buf(),
        prompt: "-do step 7".into(),
        started: tx,
        cancel: CancellationToken::new(),
    }));
    let (id, locator) = rx.recv().await.expect("thread reported");
    assert!(
        begun.elapsed() < Duration::from_millis(1900),
        "before the turn ended"
    );
    assert_eq!(id, "01a20b09-cd39-7201-aca7-48c416831da2");
    assert_eq!(locator.cwd.as_deref(), Some(dir.path()));
    assert_eq!(run.await.unwrap().unwrap(), TurnOutcome::Succeeded);
    let args = std::fs::read_to_string(dir.path().join("args.txt")).unwrap();
    assert_eq!(args.trim(), "exec --skip-git-repo-check --json  -do step 7");
}

#[tokio::test]
async fn the_same_thread_is_resumed_in_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let r = resumer(slow_codex(dir.path()), &[]);
    let got = r
        .continue_session(ContinueRequest {
            env: Default::default(),
            session_id: "01a20b09-b2d2-79d1-afd3-98259ca731fc".into(),
            cwd: dir.path().to_path_buf(),
            locator: Locator::default(),
            prompt: "continue".into(),
            summarize_first: false,
            cancel: CancellationToken::new(),
        })
        .await
        .unwrap();
    assert_eq!(got, TurnOutcome::Succeeded);
    let args = std::fs::read_to_string(dir.path().join("args.txt")).unwrap();
    assert_eq!(
        args.trim(),
        "exec --skip-git-repo-check --json resume 01a20b09-b2d2-79d1-afd3-98259ca731fc continue"
    );
}

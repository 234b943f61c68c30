use super::*;

fn ctx() -> ClassifyContext {
    ClassifyContext::new("2026-11-30T21:30:00Z".parse().unwrap(), crate::tz::Tz::UTC)
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/real/gemini/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_successful_run_succeeds() {
    let out = fixture("success.output.json");
    assert_eq!(
        interpret_output(&out, "", Some(0), &ctx()).unwrap(),
        TurnOutcome::Succeeded
    );
}

#[test]
fn a_daily_quota_on_stderr_is_a_usage_limit() {
    let err = fixture("daily-quota.stderr.txt");
    match interpret_output("", &err, Some(173), &ctx()).unwrap() {
        TurnOutcome::Stopped {
            reason: StopReason::UsageLimit { .. },
            evidence,
        } => assert_eq!(
            evidence,
            "You have exhausted your daily quota on this model."
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_rate_limit_after_its_own_retries_is_a_rate_limit() {
    let err = fixture("rate-limit-429.stderr.txt");
    assert!(matches!(
        interpret_output("", &err, Some(173), &ctx()).unwrap(),
        TurnOutcome::Stopped {
            reason: StopReason::RateLimit { .. },
            ..
        }
    ));
}

#[test]
fn no_output_and_a_failure_names_the_last_stderr_line() {
    let err =
        interpret_output("", "boom\nNo previous sessions found\n", Some(42), &ctx()).unwrap_err();
    assert!(
        err.to_string().contains("No previous sessions found"),
        "{err}"
    );
}

#[test]
fn resumes_the_named_session_never_the_latest() {
    let section = super::super::config::Section {
        extra_args: vec![
            "--resume".into(),
            "latest".into(),
            "-m".into(),
            "gemini-2.5-pro".into(),
        ],
        ..Default::default()
    };
    let g = headless(&section, Duration::from_secs(1));
    assert_eq!(
        g.args("--resume", "s1", "-go on"),
        [
            "-o",
            "json",
            "-m",
            "gemini-2.5-pro",
            "--resume",
            "s1",
            "-p",
            " -go on"
        ]
    );
}

#[tokio::test]
async fn a_rolled_back_prompt_is_sent_again_before_the_resume_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let chat = dir.path().join("session-2026-11-30T21-26-6480a4af.jsonl");
    std::fs::write(&chat, fixture("interactive-daily-quota.chat.jsonl")).unwrap();
    assert_eq!(
        with_lost_prompt(Some(&chat), "continue").await,
        "fix the bug please\n\ncontinue"
    );
    std::fs::write(&chat, fixture("success.chat.jsonl")).unwrap();
    assert_eq!(with_lost_prompt(Some(&chat), "continue").await, "continue");
    assert_eq!(with_lost_prompt(None, "continue").await, "continue");
}

#[tokio::test]
async fn a_prompt_rolled_back_in_an_earlier_file_of_the_session_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("session-2026-11-30T21-26-6480a4af.jsonl");
    let stub = dir.path().join("session-2026-11-30T21-27-6480a4af.jsonl");
    let other = dir.path().join("session-2026-11-30T21-28-0badc0de.jsonl");
    std::fs::write(&first, fixture("interactive-daily-quota.chat.jsonl")).unwrap();
    let header = fixture("success.chat.jsonl")
        .lines()
        .next()
        .unwrap()
        .to_owned();
    std::fs::write(&stub, format!("{header}\n")).unwrap();
    std::fs::write(&other, fixture("success.chat.jsonl")).unwrap();
    assert_eq!(
        with_lost_prompt(Some(&stub), "continue").await,
        "fix the bug please\n\ncontinue"
    );
}

//! Qwen Code, headless: `qwen -o json --resume <session> -p "<prompt>"` in the session's own directory (the
//! provider then receives the earlier conversation; after a failed first turn the kept prompt and the new text
//! arrive merged into one user message), and `qwen -o json --session-id <new uuid> -p "<prompt>"` for a new
//! session, whose id is therefore known before it starts. The closing `result` element of the printed JSON
//! array tells how the turn went.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::classify::{classify, evidence};
use crate::classify::ClassifyContext;
use crate::model::StopReason;
use crate::resume::command::{Cli, Finished, binary_or};
use crate::resume::session_flag::{Dialect, SessionFlagHeadless};
use crate::resume::{ResumeError, TurnOutcome};

/// Qwen Code's ways within the family's headless form.
pub struct Qwen;

pub type QwenHeadless = SessionFlagHeadless<Qwen>;

pub fn headless(section: &super::config::Section, timeout: Duration) -> Arc<QwenHeadless> {
    let cli = Cli {
        program: binary_or(&section.binary, "qwen"),
        extra_args: section.extra_args.clone(),
        env: section.env.clone(),
        timeout,
    };
    SessionFlagHeadless::new(cli, Qwen)
}

impl Dialect for Qwen {
    /// `--continue`/`-c` (the newest session).
    fn picks_session(&self, arg: &str) -> usize {
        usize::from(arg == "--continue" || arg == "-c")
    }

    fn outcome(&self, done: &Finished, ctx: &ClassifyContext) -> Result<TurnOutcome, ResumeError> {
        interpret_output(&done.stdout, &done.stderr, done.code, ctx)
    }
}

/// Read `qwen -o json` output: the `result` element of the array decides. Without one, a clean exit says
/// nothing (the chat file will tell), and a failed one is classified from stderr, or is an error naming its
/// last line.
pub fn interpret_output(
    stdout: &str,
    stderr: &str,
    code: Option<i32>,
    ctx: &ClassifyContext,
) -> Result<TurnOutcome, ResumeError> {
    if let Some(result) = result_element(stdout) {
        if result.get("is_error").and_then(Value::as_bool) == Some(false) {
            return Ok(TurnOutcome::Succeeded);
        }
        let message = result
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let reason = classify(&evidence(None, None, message), ctx);
        if reason != StopReason::Unknown || !message.is_empty() {
            return Ok(TurnOutcome::Stopped {
                reason,
                evidence: message.to_string(),
            });
        }
    }
    crate::resume::command::outcome_of_exit("qwen", stderr, code, ctx)
}

/// The last `{"type":"result"}` element of the printed JSON array (or of JSON lines).
fn result_element(stdout: &str) -> Option<Value> {
    let is_result = |v: &Value| v.get("type").and_then(Value::as_str) == Some("result");
    if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(stdout.trim()) {
        return items.into_iter().rev().find(is_result);
    }
    stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .find(is_result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UsageWindow;

    fn ctx() -> ClassifyContext {
        ClassifyContext::new("2026-11-30T19:48:15Z".parse().unwrap(), crate::tz::Tz::UTC)
    }

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/real/qwen/{name}",
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
    fn an_exhausted_quota_is_a_usage_limit_with_its_reset() {
        let out = fixture("quota-exhausted.output.json");
        match interpret_output(&out, "", Some(1), &ctx()).unwrap() {
            TurnOutcome::Stopped {
                reason:
                    StopReason::UsageLimit {
                        resets_at, window, ..
                    },
                evidence,
            } => {
                assert!(evidence.starts_with("Quota exhausted"), "{evidence}");
                assert_eq!(
                    window,
                    UsageWindow::Session,
                    "inferred from how near the reset is"
                );
                assert!(resets_at.is_some());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_exhausted_context_is_reported() {
        let out = fixture("prompt-too-long.output.json");
        assert!(matches!(
            interpret_output(&out, "", Some(1), &ctx()).unwrap(),
            TurnOutcome::Stopped {
                reason: StopReason::ContextExhausted,
                ..
            }
        ));
    }

    #[test]
    fn no_output_and_a_failure_names_the_last_stderr_line() {
        let err = interpret_output("", "boom\nno such session\n", Some(1), &ctx()).unwrap_err();
        assert!(err.to_string().contains("no such session"), "{err}");
    }

    #[test]
    fn resumes_the_named_session_never_the_newest() {
        let section = super::super::config::Section {
            extra_args: vec!["--continue".into(), "--model".into(), "m".into()],
            ..Default::default()
        };
        let q = headless(&section, Duration::from_secs(1));
        assert_eq!(
            q.args("--resume", "s1", "-go on"),
            [
                "-o", "json", "--model", "m", "--resume", "s1", "-p", " -go on"
            ]
        );
    }
}

//! Gemini CLI, headless: `gemini -o json --resume <session> -p "<prompt>"` in the session's own directory (the
//! provider then receives the conversation the chat keeps), and `gemini -o json --session-id <new uuid> -p
//! "<prompt>"` for a new session, whose id is therefore known before it starts.
//!
//! A failed turn is rolled back out of the conversation, so when the chat's last prompt was rolled back the
//! resume sends it again ahead of the resume prompt. `-o json` prints `{"session_id", "response", "stats"}` on
//! stdout after a good turn and `{"session_id", "error": {"message", "code"}}` on stderr (after a stack trace)
//! after a failed one, exiting with the HTTP status & 255 (429 → 173).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::classify::{classify, evidence};
use super::records::rolled_back_prompt;
use crate::classify::ClassifyContext;
use crate::model::StopReason;
use crate::resume::command::{Cli, Finished, binary_or};
use crate::resume::session_flag::{Dialect, SessionFlagHeadless};
use crate::resume::{ContinueRequest, ResumeError, TurnOutcome};

/// Gemini CLI's ways within the family's headless form.
pub struct Gemini;

pub type GeminiHeadless = SessionFlagHeadless<Gemini>;

pub fn headless(section: &super::config::Section, timeout: Duration) -> Arc<GeminiHeadless> {
    let cli = Cli {
        program: binary_or(&section.binary, "gemini"),
        extra_args: section.extra_args.clone(),
        env: section.env.clone(),
        timeout,
    };
    SessionFlagHeadless::new(cli, Gemini)
}

impl Dialect for Gemini {
    /// `--resume`/`-r` ("latest" or an index) with its value.
    fn picks_session(&self, arg: &str) -> usize {
        match arg {
            "--resume" | "-r" => 2,
            _ if arg.starts_with("--resume=") => 1,
            _ => 0,
        }
    }

    fn outcome(&self, done: &Finished, ctx: &ClassifyContext) -> Result<TurnOutcome, ResumeError> {
        interpret_output(&done.stdout, &done.stderr, done.code, ctx)
    }

    /// A prompt a failed turn rolled back out of the conversation goes again, ahead of the resume prompt.
    fn continue_prompt(
        &self,
        req: &ContinueRequest,
    ) -> Pin<Box<dyn Future<Output = String> + Send>> {
        let (transcript, prompt) = (req.locator.transcript.clone(), req.prompt.clone());
        Box::pin(async move { with_lost_prompt(transcript.as_ref(), &prompt).await })
    }
}

/// The prompt to send: the one a failed turn rolled back out of the session (if any), then `prompt`.
async fn with_lost_prompt(transcript: Option<&PathBuf>, prompt: &str) -> String {
    let chat = match transcript {
        Some(path) => session_chats(path).await,
        None => String::new(),
    };
    match rolled_back_prompt(&chat) {
        Some(lost) if !lost.trim().is_empty() => format!("{lost}\n\n{prompt}"),
        _ => prompt.to_string(),
    }
}

/// Every chat file of the session `transcript` belongs to, oldest first: a client resuming it in a later
/// minute starts another file (`session-<minute>-<same id8>.jsonl`) while the turns may go to the first.
async fn session_chats(transcript: &Path) -> String {
    let files = match (transcript.parent(), session_files_suffix(transcript)) {
        (Some(dir), Some(suffix)) => {
            let mut names = Vec::new();
            if let Ok(mut entries) = tokio::fs::read_dir(dir).await {
                while let Ok(Some(entry)) = entries.next_entry().await {
                    let path = entry.path();
                    if path.to_str().is_some_and(|p| p.ends_with(&suffix)) {
                        names.push(path);
                    }
                }
            }
            names.sort();
            names
        }
        _ => vec![transcript.to_path_buf()],
    };
    let mut chat = String::new();
    for file in files {
        chat.push_str(&tokio::fs::read_to_string(&file).await.unwrap_or_default());
        chat.push('\n');
    }
    chat
}

/// `-<id8>.jsonl`, the end every file of a chat's session shares.
fn session_files_suffix(transcript: &Path) -> Option<String> {
    let name = transcript.file_name()?.to_str()?;
    let (_, id8) = name.strip_suffix(".jsonl")?.rsplit_once('-')?;
    Some(format!("-{id8}.jsonl"))
}

/// Read `gemini -o json` output: a `response` on stdout is a finished turn; an `error` object (the last JSON
/// object on stderr) is classified with its HTTP code. Without either, the exit status decides.
pub fn interpret_output(
    stdout: &str,
    stderr: &str,
    code: Option<i32>,
    ctx: &ClassifyContext,
) -> Result<TurnOutcome, ResumeError> {
    if let Ok(out) = serde_json::from_str::<Value>(stdout.trim())
        && out.get("response").is_some()
        && out.get("error").is_none()
    {
        return Ok(TurnOutcome::Succeeded);
    }
    if let Some(error) = last_json_object(stderr).and_then(|v| v.get("error").cloned()) {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let status = error
            .get("code")
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok());
        let reason = classify(&evidence(status, message), ctx);
        if reason != StopReason::Unknown || !message.is_empty() {
            return Ok(TurnOutcome::Stopped {
                reason,
                evidence: message.to_string(),
            });
        }
    }
    crate::resume::command::outcome_of_exit("gemini", stderr, code, ctx)
}

/// The last pretty-printed JSON object in `text`: from the last line that is only `{` to the end.
fn last_json_object(text: &str) -> Option<Value> {
    let start = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain(std::iter::once(0))
        .filter(|&i| text[i..].starts_with("{\n") || text[i..].trim_end() == "{")
        .max()?;
    serde_json::from_str(text[start..].trim()).ok()
}

#[cfg(test)]
mod tests;

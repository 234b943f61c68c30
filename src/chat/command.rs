//! The one parser of chat command text, shared by Telegram, Slack, Discord and notification buttons.

use crate::protocol::{Request, Target};

/// What a chat message asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// A protocol request, answered by the engine like any other control surface.
    Request(Request),
    /// The most recent audit events, optionally of one session.
    Logs {
        session: Option<String>,
    },
    Help,
}

impl Command {
    /// The command's name, for the audit trail.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Logs { .. } => "logs",
            Command::Help => "help",
            Command::Request(r) => match r {
                Request::Status => "status",
                Request::Sessions => "sessions",
                Request::Pause => "pause",
                Request::Resume => "resume",
                Request::ResumeSession(_) => "resume_session",
                Request::Skip(_) => "skip",
                Request::Abort(_) => "abort",
                Request::NewSession(_) => "new_session",
                _ => "request",
            },
        }
    }

    /// Whether carrying it out changes what the daemon does (and so is audited with its sender).
    pub fn changes_state(&self) -> bool {
        matches!(
            self,
            Command::Request(
                Request::Pause
                    | Request::Resume
                    | Request::ResumeSession(_)
                    | Request::Skip(_)
                    | Request::Abort(_)
                    | Request::NewSession(_)
            )
        )
    }

    /// The session it names, if any.
    pub fn session(&self) -> Option<&str> {
        match self {
            Command::Logs { session } => session.as_deref(),
            Command::Request(
                Request::ResumeSession(t)
                | Request::Skip(t)
                | Request::Abort(t)
                | Request::NewSession(t),
            ) => t.session.as_deref(),
            _ => None,
        }
    }
}

/// The text of a notification button (also a valid command): resume this session now.
pub fn resume_button(session: &str) -> String {
    format!("resume {session}")
}

/// The text of a notification button: leave this session alone until it makes progress again.
pub fn leave_button(session: &str) -> String {
    format!("leave {session}")
}

pub const HELP: &str = "Commands:\n\
status: what the daemon is doing\n\
sessions: the tracked sessions\n\
pause: stop automatic actions (keep watching)\n\
resume: undo pause\n\
resume SESSION: resume that session now\n\
skip [SESSION]: stop waiting, act now\n\
abort [SESSION] (or leave SESSION): cancel the pending action and leave the session alone\n\
new-session [SESSION]: start a fresh session now\n\
logs [SESSION]: the latest audit events\n\
help: this text\n\
SESSION is an id or a unique prefix of one; without it, the most recent stopped session.";

/// Parse `/status`, `status@my_bot`, `resume abc123`, `new_session`, ... Unknown text is an error naming it.
pub fn parse(text: &str) -> Result<Command, String> {
    let mut words = text.split_whitespace();
    let Some(first) = words.next() else {
        return Ok(Command::Help);
    };
    // Telegram sends `/cmd@botname` in groups; Slack and Discord users may type the slash too.
    let verb = first
        .trim_start_matches('/')
        .split('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .replace('_', "-");
    let session = words.next().map(str::to_string);
    if let Some(extra) = words.next() {
        return Err(format!(
            "`{extra}`: too many words. Send `help` for the commands."
        ));
    }
    let target = || Target {
        session: session.clone(),
    };
    let no_arg = |cmd: Command| match &session {
        Some(s) => Err(format!("`{verb}` takes no session (got `{s}`)")),
        None => Ok(cmd),
    };
    match verb.as_str() {
        "status" => no_arg(Command::Request(Request::Status)),
        "sessions" | "list" => no_arg(Command::Request(Request::Sessions)),
        "pause" => no_arg(Command::Request(Request::Pause)),
        "resume" | "resume-now" => Ok(Command::Request(match &session {
            None => Request::Resume,
            Some(_) => Request::ResumeSession(target()),
        })),
        "skip" => Ok(Command::Request(Request::Skip(target()))),
        "abort" | "leave" => Ok(Command::Request(Request::Abort(target()))),
        "new-session" | "new" => Ok(Command::Request(Request::NewSession(target()))),
        "logs" | "log" | "events" => Ok(Command::Logs { session }),
        "help" | "start" => Ok(Command::Help),
        other => Err(format!(
            "unknown command `{other}`. Send `help` for the commands."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(text: &str) -> Request {
        match parse(text).unwrap() {
            Command::Request(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_command_and_its_spellings() {
        assert_eq!(req("/status"), Request::Status);
        assert_eq!(req("/status@pali_bot"), Request::Status);
        assert_eq!(req("  Sessions "), Request::Sessions);
        assert_eq!(req("pause"), Request::Pause);
        assert_eq!(req("resume"), Request::Resume);
        let t = |s: &str| Target {
            session: Some(s.into()),
        };
        assert_eq!(req("resume ab12"), Request::ResumeSession(t("ab12")));
        assert_eq!(req("skip"), Request::Skip(Target::default()));
        assert_eq!(req("/abort x"), Request::Abort(t("x")));
        assert_eq!(req("new_session"), Request::NewSession(Target::default()));
        assert_eq!(req("new-session y"), Request::NewSession(t("y")));
        assert_eq!(
            parse("logs s1").unwrap(),
            Command::Logs {
                session: Some("s1".into())
            }
        );
        assert_eq!(parse("/help").unwrap(), Command::Help);
        assert_eq!(parse("").unwrap(), Command::Help);
    }

    #[test]
    fn buttons_are_commands() {
        assert_eq!(
            parse(&resume_button("abc")).unwrap().name(),
            "resume_session"
        );
        let leave = parse(&leave_button("abc")).unwrap();
        assert!(leave.changes_state());
        assert_eq!(leave.session(), Some("abc"));
    }

    #[test]
    fn bad_text_is_named() {
        assert!(parse("reboot").unwrap_err().contains("`reboot`"));
        assert!(parse("pause now").unwrap_err().contains("takes no session"));
        assert!(parse("skip a b").unwrap_err().contains("too many"));
        assert!(!parse("status").unwrap().changes_state());
    }
}

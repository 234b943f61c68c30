//! How `setup` decides each step: a flag, `--yes`, or a question on the terminal (plain `[Y/n]` lines on
//! stdin, so any terminal and any script typing into one works).

use std::io::{BufRead, Write};

use anyhow::Context;

use crate::model::Assistant;

/// What the flags say about one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Choice {
    Yes,
    No,
    /// Nothing decides it: ask (on a terminal), else leave it.
    Ask,
}

/// What was decided for one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Decision {
    Go,
    Skip(String),
    /// `--dry-run` with nothing deciding it: the question it would ask.
    WouldAsk,
}

/// `--hooks a,b|none` / `--mcp a,b|none`: the assistants named, `Some(vec![])` for `none`.
pub(super) fn parse_list(flag: &str, list: Option<&str>) -> anyhow::Result<Option<Vec<Assistant>>> {
    let Some(list) = list.map(str::trim) else {
        return Ok(None);
    };
    if list.eq_ignore_ascii_case("none") || list.is_empty() {
        return Ok(Some(Vec::new()));
    }
    list.split(',')
        .map(|name| {
            crate::assistants::parse(name.trim())
                .map_err(|e| anyhow::anyhow!("--{flag} {list}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .map(Some)
}

/// The choice a list flag makes for `a` (`--yes` when there is no list).
pub(super) fn from_list(list: Option<&[Assistant]>, yes: bool, a: Assistant) -> Choice {
    match (list, yes) {
        (Some(l), _) if l.contains(&a) => Choice::Yes,
        (Some(_), _) => Choice::No,
        (None, true) => Choice::Yes,
        (None, false) => Choice::Ask,
    }
}

/// Asks on the terminal when it may; otherwise says why it does not.
pub(super) struct Asker {
    /// Stdin and stdout are a terminal and `--json` is off.
    pub interactive: bool,
    pub dry_run: bool,
}

impl Asker {
    /// Decide a yes/no step; `question` is asked with `[Y/n]` (Enter accepts).
    pub fn decide(&self, choice: Choice, question: &str) -> anyhow::Result<Decision> {
        match choice {
            Choice::Yes => Ok(Decision::Go),
            Choice::No => Ok(Decision::Skip("not chosen".into())),
            Choice::Ask if self.dry_run => Ok(Decision::WouldAsk),
            Choice::Ask if self.interactive => {
                let Some(answer) = self.line(&format!("{question} [Y/n] "))? else {
                    return Ok(Decision::Skip("no answer (end of input)".into()));
                };
                Ok(match answer.trim().to_ascii_lowercase().as_str() {
                    "" | "y" | "yes" => Decision::Go,
                    _ => Decision::Skip("declined".into()),
                })
            }
            Choice::Ask => Ok(Decision::Skip(
                "not asked (no terminal): pass --yes or the step's flag".into(),
            )),
        }
    }

    /// A line of text from the terminal (`None` when it may not ask).
    pub fn text(&self, question: &str) -> anyhow::Result<Option<String>> {
        if !self.interactive || self.dry_run {
            return Ok(None);
        }
        Ok(self.line(question)?.map(|l| l.trim().to_string()))
    }

    /// The answer typed after `prompt`; `None` at the end of input (Ctrl-D), which never counts as a yes.
    fn line(&self, prompt: &str) -> anyhow::Result<Option<String>> {
        let mut out = std::io::stdout().lock();
        out.write_all(prompt.as_bytes())?;
        out.flush()?;
        let mut answer = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("reading the answer")?;
        if read == 0 {
            println!();
            return Ok(None);
        }
        Ok(Some(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_yes_decide_before_any_question() {
        let claude = crate::assistants::claude::ASSISTANT;
        let codex = crate::assistants::codex::ASSISTANT;
        let list = parse_list("hooks", Some("claude")).unwrap().unwrap();
        assert_eq!(from_list(Some(&list), false, claude), Choice::Yes);
        assert_eq!(from_list(Some(&list), true, codex), Choice::No);
        assert_eq!(from_list(None, true, codex), Choice::Yes);
        assert_eq!(from_list(None, false, codex), Choice::Ask);
        assert_eq!(parse_list("mcp", Some("none")).unwrap(), Some(vec![]));
        assert!(parse_list("mcp", Some("claude,nope")).is_err());
        let quiet = Asker {
            interactive: false,
            dry_run: false,
        };
        assert!(matches!(
            quiet.decide(Choice::Ask, "?").unwrap(),
            Decision::Skip(_)
        ));
    }
}

//! How Codex CLI's processes look: `codex` (node → native binary); `codex exec` is a headless run. The
//! interactive agent holds its session's rollout open for writing for as long as it runs it.

use crate::procfs::{AgentProcess, command_runs};

pub struct CodexProcess;

impl AgentProcess for CodexProcess {
    fn is_agent(&self, args: &[String]) -> bool {
        command_runs(args, "codex", None)
    }

    fn is_interactive(&self, args: &[String]) -> bool {
        !args.iter().skip(1).any(|a| a == "exec" || a == "e")
    }

    fn holds_transcript_open(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn recognises_the_agent_and_its_headless_runs() {
        let p = CodexProcess;
        assert!(p.is_agent(&v(&["/x/codex", "exec"])));
        assert!(!p.is_agent(&v(&["/usr/bin/vim", "codex.md"])));
        assert!(!p.is_interactive(&v(&["codex", "exec", "x"])));
        assert!(p.is_interactive(&v(&["codex", "resume"])));
    }
}

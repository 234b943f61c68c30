//! How Claude Code's processes look: `claude` (a native binary or `node …/@anthropic-ai/claude-code/cli.js`);
//! `claude -p` is a headless run that ends by itself.

use crate::procfs::{AgentProcess, command_runs};

pub struct ClaudeProcess;

impl AgentProcess for ClaudeProcess {
    fn is_agent(&self, args: &[String]) -> bool {
        command_runs(args, "claude", Some("claude-code"))
    }

    fn is_interactive(&self, args: &[String]) -> bool {
        !args
            .iter()
            .skip(1)
            .any(|a| a == "-p" || a == "--print" || a.starts_with("--print="))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn recognises_the_agent_but_not_the_wrapper() {
        let p = ClaudeProcess;
        assert!(p.is_agent(&v(&[
            "node",
            "/x/node_modules/@anthropic-ai/claude-code/cli.js"
        ])));
        assert!(p.is_agent(&v(&["/usr/bin/claude", "--resume", "a"])));
        assert!(!p.is_agent(&v(&["palingenesis", "run", "--", "claude"])));
    }

    #[test]
    fn headless_runs_are_not_interactive() {
        let p = ClaudeProcess;
        assert!(p.is_interactive(&v(&["claude"])));
        assert!(p.is_interactive(&v(&["claude", "--resume", "a"])));
        assert!(!p.is_interactive(&v(&["claude", "-p", "hi"])));
    }
}

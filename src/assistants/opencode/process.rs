//! How opencode's processes look: `opencode` is the interactive TUI; `opencode run` ends by itself, and
//! `opencode serve` / `opencode web` host sessions that are reached through their API, never resumed behind
//! their back.

use crate::procfs::{AgentProcess, command_runs};

pub struct OpencodeProcess;

impl AgentProcess for OpencodeProcess {
    fn is_agent(&self, args: &[String]) -> bool {
        let serves = args
            .iter()
            .skip(1)
            .take(2)
            .any(|a| a == "serve" || a == "web");
        !serves && command_runs(args, "opencode", None)
    }

    fn is_interactive(&self, args: &[String]) -> bool {
        !args.iter().skip(1).any(|a| a == "run" || a == "serve")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_server_is_not_an_agent_and_a_run_is_not_interactive() {
        let p = OpencodeProcess;
        assert!(p.is_agent(&v(&["opencode"])));
        assert!(!p.is_agent(&v(&["opencode", "serve", "--port", "4096"])));
        assert!(!p.is_interactive(&v(&["opencode", "serve"])));
        assert!(!p.is_interactive(&v(&["opencode", "run", "hi"])));
    }
}

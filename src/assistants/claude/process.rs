//! How Claude Code's processes look: the native `claude` executable (from npm `…/claude-code/bin/claude.exe` or
//! its platform package, or the native installer's `~/.local/share/claude/versions/<version>`), or, in older
//! releases, node running `@anthropic-ai/claude-code/cli.js`. `claude -p` is a headless run that ends by itself.

use crate::procfs::{AgentProcess, ProcessInfo};

pub struct ClaudeProcess;

/// Where Claude Code's executables live, whatever the file is called.
const INSTALL_MARKERS: &[&str] = &["/claude/versions/", "/@anthropic-ai/claude-code"];

impl AgentProcess for ClaudeProcess {
    fn is_agent(&self, p: &ProcessInfo) -> bool {
        p.executable_is("claude", INSTALL_MARKERS) || p.runs_script_of("@anthropic-ai/claude-code/")
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
    use crate::procfs::testing::{args as v, process as p};

    #[test]
    fn recognises_the_agent_but_not_scripts_or_the_wrapper() {
        let c = ClaudeProcess;
        assert!(c.is_agent(&p(
            "/n/node_modules/@anthropic-ai/claude-code-linux-x64/claude",
            &["claude"]
        )));
        assert!(c.is_agent(&p(
            "/n/lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe",
            &["claude", "--resume", "a"]
        )));
        assert!(c.is_agent(&p(
            "/home/u/.local/share/claude/versions/2.1.332",
            &["claude"]
        )));
        assert!(c.is_agent(&p(
            "/usr/bin/node",
            &["node", "/x/node_modules/@anthropic-ai/claude-code/cli.js"]
        )));
        assert!(!c.is_agent(&p("/usr/bin/bash", &["bash", "./claude-nightly.sh"])));
        assert!(!c.is_agent(&p("/usr/bin/vim", &["vim", "claude.md"])));
        assert!(!c.is_agent(&p(
            "/usr/bin/tail",
            &["tail", "-f", "/h/.claude/projects/-w/s.jsonl"]
        )));
        assert!(!c.is_agent(&p(
            "/usr/local/bin/palingenesis",
            &["palingenesis", "run", "--", "claude"]
        )));
    }

    #[test]
    fn headless_runs_are_not_interactive() {
        let c = ClaudeProcess;
        assert!(c.is_interactive(&v(&["claude"])));
        assert!(c.is_interactive(&v(&["claude", "--resume", "a"])));
        assert!(!c.is_interactive(&v(&["claude", "-p", "hi"])));
    }
}

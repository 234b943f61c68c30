//! How Codex CLI's processes look: the native `codex` executable (npm's `codex.js` is only a launcher that
//! starts it); `codex exec` is a headless run. The agent holds its session's rollout open for writing while it
//! runs it; since 0.171 so does the managed `codex app-server --managed-daemon` the TUI starts, which outlives
//! the TUI and is never the agent.

use crate::procfs::{AgentProcess, ProcessInfo};

pub struct CodexProcess;

/// Subcommands that serve, not run a session.
const SERVERS: &[&str] = &["app-server", "mcp-server", "proto"];

impl AgentProcess for CodexProcess {
    fn is_agent(&self, p: &ProcessInfo) -> bool {
        let serves = p
            .args
            .iter()
            .skip(1)
            .take(2)
            .any(|a| SERVERS.contains(&a.as_str()));
        !serves && p.executable_is("codex", &[])
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
    use crate::procfs::testing::{args as v, process as p};

    const NATIVE: &str = "/n/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex";

    #[test]
    fn recognises_the_agent_but_not_its_background_server_or_lookalikes() {
        let c = CodexProcess;
        assert!(c.is_agent(&p(NATIVE, &["codex", "resume", "t1"])));
        assert!(c.is_agent(&p(NATIVE, &["codex", "exec", "x"])));
        assert!(!c.is_agent(&p(
            NATIVE,
            &[
                "codex",
                "app-server",
                "--listen",
                "unix://",
                "--managed-daemon"
            ]
        )));
        assert!(!c.is_agent(&p(
            NATIVE,
            &["codex", "app-server", "daemon", "pid-update-loop"]
        )));
        assert!(!c.is_agent(&p("/usr/bin/vim", &["vim", "codex.md"])));
        assert!(!c.is_agent(&p("/usr/bin/bash", &["bash", "codex-loop.sh"])));
        assert!(!c.is_interactive(&v(&["codex", "exec", "x"])));
        assert!(c.is_interactive(&v(&["codex", "resume"])));
    }
}

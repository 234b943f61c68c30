//! How opencode's processes look: the native `opencode` executable (npm's `opencode-ai/bin/opencode` is only a
//! launcher that starts it). `opencode run` ends by itself, and `opencode serve` / `opencode web` host sessions
//! that are reached through their API, never resumed behind their back.

use crate::procfs::{AgentProcess, ProcessInfo};

pub struct OpencodeProcess;

impl AgentProcess for OpencodeProcess {
    fn is_agent(&self, p: &ProcessInfo) -> bool {
        let serves = p
            .args
            .iter()
            .skip(1)
            .take(2)
            .any(|a| a == "serve" || a == "web");
        !serves && p.executable_is("opencode", &[])
    }

    fn is_interactive(&self, args: &[String]) -> bool {
        !args.iter().skip(1).any(|a| a == "run" || a == "serve")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procfs::testing::{args as v, process as p};

    #[test]
    fn a_server_or_a_script_is_not_an_agent_and_a_run_is_not_interactive() {
        let o = OpencodeProcess;
        let native = "/n/opencode-linux-x64/bin/opencode";
        assert!(o.is_agent(&p(native, &["opencode"])));
        assert!(!o.is_agent(&p(native, &["opencode", "serve", "--port", "4096"])));
        assert!(!o.is_agent(&p("/usr/bin/bash", &["bash", "opencode-nightly.sh"])));
        assert!(!o.is_interactive(&v(&["opencode", "serve"])));
        assert!(!o.is_interactive(&v(&["opencode", "run", "hi"])));
    }
}

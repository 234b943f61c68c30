//! How Qwen Code's processes look: Node running its `cli-entry.js` (npm links it as `qwen`, so the script may
//! be named by the link), or a `qwen` executable. `-p`/`--prompt` is a headless run that ends by itself.

use crate::procfs::{AgentProcess, ProcessInfo, has_prompt_flag};

pub struct QwenProcess;

const PACKAGE: &str = "@qwen-code/qwen-code/";

impl AgentProcess for QwenProcess {
    fn is_agent(&self, p: &ProcessInfo) -> bool {
        p.executable_is("qwen", &[PACKAGE]) || p.runs_script_of(PACKAGE) || p.runs_npm_link("qwen")
    }

    fn is_interactive(&self, args: &[String]) -> bool {
        !has_prompt_flag(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procfs::testing::{args as v, process as p};

    #[test]
    fn recognises_node_running_qwen_but_not_lookalikes() {
        let q = QwenProcess;
        assert!(q.is_agent(&p(
            "/usr/bin/node",
            &[
                "node",
                "/usr/lib/node_modules/@qwen-code/qwen-code/cli-entry.js",
                "-p",
                "x"
            ]
        )));
        assert!(q.is_agent(&p("/usr/bin/node", &["node", "/usr/local/bin/qwen"])));
        assert!(!q.is_agent(&p("/usr/bin/node", &["node", "/srv/app/server.js"])));
        assert!(!q.is_agent(&p("/usr/bin/vim", &["vim", "qwen"])));
        assert!(!q.is_agent(&p("/usr/bin/bash", &["bash", "qwen-loop.sh"])));
        assert!(!q.is_interactive(&v(&["node", "qwen", "-p", "continue"])));
        assert!(q.is_interactive(&v(&["node", "qwen", "--resume", "s1"])));
    }
}

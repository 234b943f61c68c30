//! How Gemini CLI's processes look: Node running its `bundle/gemini.js` (npm links it as `gemini`, so the
//! script may be named by the link), or a `gemini` executable. `-p`/`--prompt` is a headless run that ends by
//! itself.

use crate::procfs::{AgentProcess, ProcessInfo, has_prompt_flag};

pub struct GeminiProcess;

const PACKAGE: &str = "@google/gemini-cli/";

impl AgentProcess for GeminiProcess {
    fn is_agent(&self, p: &ProcessInfo) -> bool {
        p.executable_is("gemini", &[PACKAGE])
            || p.runs_script_of(PACKAGE)
            || p.runs_npm_link("gemini")
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
    fn recognises_node_running_gemini_but_not_lookalikes() {
        let g = GeminiProcess;
        let bundle = "/usr/lib/node_modules/@google/gemini-cli/bundle/gemini.js";
        assert!(g.is_agent(&p("/usr/bin/node", &["node", bundle, "-p", "x"])));
        assert!(g.is_agent(&p("/usr/bin/node", &["node", "/usr/local/bin/gemini"])));
        assert!(!g.is_agent(&p("/usr/bin/node", &["node", "/srv/app/server.js"])));
        assert!(!g.is_agent(&p("/usr/bin/vim", &["vim", "gemini"])));
        assert!(!g.is_interactive(&v(&["node", "gemini", "--resume", "s1", "-p", "continue"])));
        assert!(g.is_interactive(&v(&["node", "gemini", "--resume", "s1"])));
    }
}

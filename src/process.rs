//! Finding an agent's live process, so a session whose agent still runs is never resumed behind its back.
//! Linux reads `/proc`; elsewhere only an explicitly known pid is checked (with `kill(pid, 0)`).

use std::path::Path;

use crate::model::{Assistant, Locator};

/// The pid of a live process of `assistant` that belongs to this session, if any: the known pid when it
/// still runs that assistant, else (Linux) a process of the assistant running in the session's directory that
/// does not name a different session on its command line.
pub fn find_agent(assistant: Assistant, session_id: &str, locator: &Locator) -> Option<u32> {
    if let Some(pid) = locator.pid
        && is_alive(pid)
        && cmdline(pid).is_none_or(|args| is_agent(assistant, &args))
    {
        return Some(pid);
    }
    let cwd = locator.cwd.as_deref()?;
    scan(assistant, session_id, cwd)
}

fn is_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

/// Whether a command line runs `assistant` (directly, or as a node script).
pub fn is_agent(assistant: Assistant, args: &[String]) -> bool {
    if args.iter().any(|a| base(a) == "palingenesis") {
        return false;
    }
    // An opencode server hosts sessions but is reached through its API, not resumed behind its back.
    if assistant == Assistant::Opencode
        && args
            .iter()
            .skip(1)
            .take(2)
            .any(|a| a == "serve" || a == "web")
    {
        return false;
    }
    let name = assistant.as_str();
    args.iter().take(3).any(|a| {
        let b = base(a);
        b == name
            || b.starts_with(&format!("{name}-"))
            || (assistant == Assistant::Claude && a.contains("claude-code"))
    })
}

fn base(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

#[cfg(target_os = "linux")]
fn cmdline(pid: u32) -> Option<Vec<String>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
    )
}

#[cfg(not(target_os = "linux"))]
fn cmdline(_pid: u32) -> Option<Vec<String>> {
    None
}

#[cfg(target_os = "linux")]
fn scan(assistant: Assistant, session_id: &str, cwd: &Path) -> Option<u32> {
    let me = std::process::id();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Some(args) = cmdline(pid) else { continue };
        if !is_agent(assistant, &args) {
            continue;
        }
        if std::fs::read_link(format!("/proc/{pid}/cwd"))
            .ok()
            .as_deref()
            != Some(cwd)
        {
            continue;
        }
        if names_other_session(&args, session_id) {
            continue;
        }
        return Some(pid);
    }
    None
}

#[cfg(not(target_os = "linux"))]
fn scan(_assistant: Assistant, _session_id: &str, _cwd: &Path) -> Option<u32> {
    None
}

/// True when the command line resumes or creates a session other than `session_id`.
fn names_other_session(args: &[String], session_id: &str) -> bool {
    let mut named = args.windows(2).filter_map(|w| match w[0].as_str() {
        "--resume" | "-r" | "--session-id" | "--session" | "-s" | "resume" => Some(w[1].as_str()),
        _ => None,
    });
    named.any(|id| id != session_id && !id.starts_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn recognises_agents_but_not_the_wrapper() {
        assert!(is_agent(
            Assistant::Claude,
            &v(&["node", "/x/node_modules/@anthropic-ai/claude-code/cli.js"])
        ));
        assert!(is_agent(
            Assistant::Claude,
            &v(&["/usr/bin/claude", "--resume", "a"])
        ));
        assert!(is_agent(Assistant::Codex, &v(&["/x/codex", "exec"])));
        assert!(!is_agent(
            Assistant::Codex,
            &v(&["/usr/bin/vim", "codex.md"])
        ));
        assert!(!is_agent(
            Assistant::Claude,
            &v(&["palingenesis", "run", "--", "claude"])
        ));
    }

    #[test]
    fn other_sessions_are_told_apart() {
        assert!(names_other_session(&v(&["claude", "--resume", "b"]), "a"));
        assert!(!names_other_session(&v(&["claude", "--resume", "a"]), "a"));
        assert!(!names_other_session(&v(&["claude"]), "a"));
    }

    #[test]
    fn a_dead_known_pid_is_not_alive() {
        let loc = Locator {
            pid: Some(u32::MAX - 7),
            ..Default::default()
        };
        assert_eq!(find_agent(Assistant::Claude, "a", &loc), None);
    }
}

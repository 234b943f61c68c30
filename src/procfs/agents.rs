//! Finding an agent's live process, so a session whose agent still runs is never resumed behind its back.
//! Linux reads `/proc`; elsewhere only an explicitly known pid is checked (with `kill(pid, 0)`).

use std::path::Path;

use super::cmdline;
use crate::model::{AgentEnv, Locator};

/// Who has a file open for writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// This process (never palingenesis itself) has it open for writing.
    Pid(u32),
    /// No process does (or the file is gone).
    Nobody,
    /// This platform cannot tell.
    Unknown,
}

/// Which process has `path` open for writing. Linux reads `/proc/<pid>/fd` and the access mode in
/// `/proc/<pid>/fdinfo`; processes of other users are invisible. Elsewhere [`Writer::Unknown`].
pub fn writer_of(path: &Path) -> Writer {
    platform_writer_of(path)
}

#[cfg(target_os = "linux")]
fn platform_writer_of(path: &Path) -> Writer {
    let Ok(target) = std::fs::canonicalize(path) else {
        return Writer::Nobody;
    };
    if !Path::new("/proc/self").exists() {
        return Writer::Unknown;
    }
    for (pid, dir) in other_processes() {
        let Ok(fds) = std::fs::read_dir(dir.join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if std::fs::read_link(fd.path()).ok().as_deref() != Some(target.as_path()) {
                continue;
            }
            let info = dir.join("fdinfo").join(fd.file_name());
            if std::fs::read_to_string(info).is_ok_and(|text| opened_for_writing(&text)) {
                return Writer::Pid(pid);
            }
        }
    }
    Writer::Nobody
}

#[cfg(not(target_os = "linux"))]
fn platform_writer_of(_path: &Path) -> Writer {
    Writer::Unknown
}

/// Whether an `fdinfo` text (`flags:\t0100002`, octal) has write access (`O_WRONLY` or `O_RDWR`).
fn opened_for_writing(fdinfo: &str) -> bool {
    fdinfo
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & 0o3 != 0)
}

/// How an assistant's processes are recognised: each assistant's folder implements it.
pub trait AgentProcess: Send + Sync {
    /// Whether a command line runs this assistant.
    fn is_agent(&self, args: &[String]) -> bool;
    /// Whether a command line runs it as an interactive terminal program (not a headless run or a server,
    /// which end or serve by themselves).
    fn is_interactive(&self, args: &[String]) -> bool;
    /// Whether the agent holds its session's transcript open for writing for as long as it runs the session,
    /// so that the writer of the transcript is the agent.
    fn holds_transcript_open(&self) -> bool {
        false
    }
}

/// Every live process of the assistant that may hold this session: the known pid alone when it still runs that
/// assistant; where the assistant holds its transcript open (Linux), the process holding it open for writing;
/// else (Linux) each process of the assistant in the session's directory that does not name a different
/// session. More than one means the session's own process cannot be told apart.
pub fn find_agents(agent: &dyn AgentProcess, session_id: &str, locator: &Locator) -> Vec<u32> {
    if let Some(pid) = locator.pid
        && is_alive(pid)
        && cmdline(pid).is_none_or(|args| agent.is_agent(&args))
    {
        return vec![pid];
    }
    if agent.holds_transcript_open()
        && let Some(transcript) = locator.transcript.as_deref()
    {
        match writer_of(transcript) {
            Writer::Pid(pid) => return vec![pid],
            Writer::Nobody => return Vec::new(),
            Writer::Unknown => {}
        }
    }
    match locator.cwd.as_deref() {
        Some(cwd) => scan_all(agent, session_id, cwd),
        None => Vec::new(),
    }
}

fn is_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

/// Whether a command line runs `program` (directly, as `program-…`, or as a node script whose path holds
/// `package`), never when palingenesis itself is the command (`palingenesis run -- claude`).
pub fn command_runs(args: &[String], program: &str, package: Option<&str>) -> bool {
    if args.iter().any(|a| base(a) == "palingenesis") {
        return false;
    }
    args.iter().take(3).any(|a| {
        let b = base(a);
        b == program
            || b.strip_prefix(program)
                .is_some_and(|rest| rest.starts_with('-'))
            || package.is_some_and(|p| a.contains(p))
    })
}

fn base(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// The variables of `pid`'s environment that matter for resuming its agent (Linux: `/proc/<pid>/environ`;
/// readable for the user's own processes only), with those starting with one of the assistant's `prefixes`.
/// `None` where it cannot be read.
pub fn environment(pid: u32, prefixes: &[&str]) -> Option<AgentEnv> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    Some(AgentEnv::capture(
        raw.split(|b| *b == 0).filter_map(|kv| {
            let kv = String::from_utf8_lossy(kv);
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        }),
        prefixes,
    ))
}

/// Every other process visible in `/proc` (never palingenesis itself), with its `/proc/<pid>` directory.
#[cfg(target_os = "linux")]
fn other_processes() -> impl Iterator<Item = (u32, std::path::PathBuf)> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(move |entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            (pid != me).then(|| (pid, entry.path()))
        })
}

#[cfg(target_os = "linux")]
fn scan_all(agent: &dyn AgentProcess, session_id: &str, cwd: &Path) -> Vec<u32> {
    let mut found = Vec::new();
    for (pid, _) in other_processes() {
        let Some(args) = cmdline(pid) else { continue };
        if !agent.is_agent(&args) {
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
        found.push(pid);
    }
    found.sort_unstable();
    found
}

#[cfg(not(target_os = "linux"))]
fn scan_all(_agent: &dyn AgentProcess, _session_id: &str, _cwd: &Path) -> Vec<u32> {
    Vec::new()
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
    fn a_program_is_recognised_by_name_or_package_but_not_behind_the_wrapper() {
        assert!(command_runs(&v(&["/usr/bin/tool", "x"]), "tool", None));
        assert!(command_runs(&v(&["tool-1.2"]), "tool", None));
        assert!(command_runs(
            &v(&["node", "/x/node_modules/@acme/tool/cli.js"]),
            "tool",
            Some("@acme/tool")
        ));
        assert!(!command_runs(
            &v(&["/usr/bin/vim", "tool.md"]),
            "tool",
            None
        ));
        assert!(!command_runs(&v(&["toolbox"]), "tool", None));
        assert!(!command_runs(
            &v(&["palingenesis", "run", "--", "tool"]),
            "tool",
            None
        ));
    }

    #[test]
    fn other_sessions_are_told_apart() {
        assert!(names_other_session(&v(&["claude", "--resume", "b"]), "a"));
        assert!(!names_other_session(&v(&["claude", "--resume", "a"]), "a"));
        assert!(!names_other_session(&v(&["claude"]), "a"));
    }

    #[test]
    fn write_access_is_read_from_fdinfo() {
        assert!(opened_for_writing(
            "pos:\t0\nflags:\t0102002\nmnt_id:\t30\n"
        ));
        assert!(opened_for_writing("pos:\t0\nflags:\t01\n"));
        assert!(!opened_for_writing("pos:\t0\nflags:\t0100000\n"));
        assert!(!opened_for_writing("pos:\t0\n"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_open_for_writing_has_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        std::fs::write(&path, "{}\n").unwrap();
        assert_eq!(writer_of(&path), Writer::Nobody);
        // A child holds it open for writing; our own descriptors never count.
        let _mine = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        assert_eq!(writer_of(&path), Writer::Nobody);
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec 3>>'{}'; read _", path.display()))
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while writer_of(&path) != Writer::Pid(pid) {
            assert!(
                std::time::Instant::now() < end,
                "the child's descriptor never showed"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        drop(child.stdin.take());
        child.wait().unwrap();
        assert_eq!(writer_of(&path), Writer::Nobody);
        assert_eq!(writer_of(&dir.path().join("gone")), Writer::Nobody);
    }

    #[test]
    fn a_dead_known_pid_is_not_alive() {
        let loc = Locator {
            pid: Some(u32::MAX - 7),
            ..Default::default()
        };
        struct Any;
        impl AgentProcess for Any {
            fn is_agent(&self, _: &[String]) -> bool {
                true
            }
            fn is_interactive(&self, _: &[String]) -> bool {
                true
            }
        }
        assert!(find_agents(&Any, "a", &loc).is_empty());
    }
}

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
    match writers_of(path) {
        Some(pids) => pids.first().map_or(Writer::Nobody, |pid| Writer::Pid(*pid)),
        None => Writer::Unknown,
    }
}

/// Every other process that has `path` open for writing; `None` where this platform cannot tell.
pub fn writers_of(path: &Path) -> Option<Vec<u32>> {
    platform_writers_of(path)
}

#[cfg(target_os = "linux")]
fn platform_writers_of(path: &Path) -> Option<Vec<u32>> {
    let Ok(target) = std::fs::canonicalize(path) else {
        return Some(Vec::new());
    };
    if !Path::new("/proc/self").exists() {
        return None;
    }
    let mut found = Vec::new();
    'procs: for (pid, dir) in other_processes() {
        let Ok(fds) = std::fs::read_dir(dir.join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if std::fs::read_link(fd.path()).ok().as_deref() != Some(target.as_path()) {
                continue;
            }
            let info = dir.join("fdinfo").join(fd.file_name());
            if std::fs::read_to_string(info).is_ok_and(|text| opened_for_writing(&text)) {
                found.push(pid);
                continue 'procs;
            }
        }
    }
    found.sort_unstable();
    Some(found)
}

#[cfg(not(target_os = "linux"))]
fn platform_writers_of(_path: &Path) -> Option<Vec<u32>> {
    None
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
    /// Whether a process is this assistant: by its executable (or, where that cannot be read, its command
    /// line), never by an argument that merely looks like its name (a script `claude-nightly.sh`, an editor
    /// on `codex.md`, `tail -f` on a transcript).
    fn is_agent(&self, process: &ProcessInfo) -> bool;
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
        && ProcessInfo::of(pid).is_none_or(|p| agent.is_agent(&p))
    {
        return vec![pid];
    }
    if agent.holds_transcript_open()
        && let Some(transcript) = locator.transcript.as_deref()
        && let Some(writers) = writers_of(transcript)
    {
        if writers.is_empty() {
            return Vec::new();
        }
        let agents: Vec<u32> = writers
            .into_iter()
            .filter(|pid| ProcessInfo::of(*pid).is_some_and(|p| agent.is_agent(&p)))
            .collect();
        if !agents.is_empty() {
            return agents;
        }
        // Only helpers of the assistant (a background server) hold it: look for the agent itself.
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

/// A process as far as recognising an assistant needs: its resolved executable (Linux `/proc/<pid>/exe`,
/// readable for the user's own processes) and its command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessInfo {
    pub exe: Option<std::path::PathBuf>,
    pub args: Vec<String>,
}

/// Interpreters that run an assistant's script entry point.
const SCRIPT_RUNNERS: &[&str] = &["node", "nodejs", "bun", "deno"];

impl ProcessInfo {
    pub fn of(pid: u32) -> Option<ProcessInfo> {
        Some(ProcessInfo {
            exe: std::fs::read_link(format!("/proc/{pid}/exe")).ok(),
            args: cmdline(pid)?,
        })
    }

    /// The executable's file name, else (unreadable) the command's.
    pub fn program(&self) -> &str {
        match &self.exe {
            Some(exe) => exe.file_name().and_then(|n| n.to_str()).unwrap_or_default(),
            None => self.args.first().map_or("", |a| base(a)),
        }
    }

    /// palingenesis itself (`palingenesis run -- claude`) is never an agent.
    pub fn is_palingenesis(&self) -> bool {
        self.program() == "palingenesis"
            || self.args.first().is_some_and(|a| base(a) == "palingenesis")
    }

    /// Whether the executable is `program` (or `program.exe`), or lives in a directory whose path holds
    /// `install_marker` (an installer's versioned layout, a package's platform folder).
    pub fn executable_is(&self, program: &str, install_markers: &[&str]) -> bool {
        if self.is_palingenesis() {
            return false;
        }
        let name = self.program();
        if name == program || name.strip_suffix(".exe") == Some(program) {
            return true;
        }
        self.exe
            .as_ref()
            .and_then(|e| e.to_str())
            .is_some_and(|path| install_markers.iter().any(|m| path.contains(m)))
    }

    /// Whether an interpreter (node, bun) runs a script of the package `package` (`@scope/name/`).
    pub fn runs_script_of(&self, package: &str) -> bool {
        SCRIPT_RUNNERS.contains(&self.program())
            && self
                .args
                .iter()
                .skip(1)
                .find(|a| !a.starts_with('-'))
                .is_some_and(|script| script.contains(package))
    }

    /// Whether an interpreter runs the npm link `name` (`node /usr/local/bin/qwen`, through its shebang).
    pub fn runs_npm_link(&self, name: &str) -> bool {
        self.runs_script_of("/")
            && self
                .args
                .iter()
                .skip(1)
                .find(|a| !a.starts_with('-'))
                .is_some_and(|script| base(script) == name)
    }
}

/// Whether a command line asks for one headless turn with `-p`/`--prompt` (Gemini CLI and its forks); else it
/// is interactive.
pub fn has_prompt_flag(args: &[String]) -> bool {
    args.iter()
        .skip(1)
        .any(|a| a == "-p" || a == "--prompt" || a.starts_with("--prompt="))
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
        let Some(process) = ProcessInfo::of(pid) else {
            continue;
        };
        if !agent.is_agent(&process) {
            continue;
        }
        let args = process.args;
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

/// Processes and command lines made up for the adapters' recognition tests.
#[cfg(test)]
pub mod testing {
    use super::ProcessInfo;

    /// A command line from string literals.
    pub fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    /// A process running `exe` with `argv`.
    pub fn process(exe: &str, argv: &[&str]) -> ProcessInfo {
        ProcessInfo {
            exe: Some(exe.into()),
            args: args(argv),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::args as v;
    use super::*;

    fn p(exe: Option<&str>, args: &[&str]) -> ProcessInfo {
        ProcessInfo {
            exe: exe.map(Into::into),
            args: v(args),
        }
    }

    #[test]
    fn an_assistant_is_its_executable_not_a_lookalike_argument() {
        assert!(p(Some("/opt/x/tool"), &["tool", "x"]).executable_is("tool", &[]));
        assert!(p(Some("/opt/x/tool.exe"), &["tool"]).executable_is("tool", &[]));
        assert!(
            p(Some("/home/u/.local/share/tool/versions/1.2.3"), &["tool"])
                .executable_is("tool", &["/tool/versions/"])
        );
        // A loop script named after the tool, an editor on its notes, tail on a transcript.
        assert!(
            !p(Some("/usr/bin/bash"), &["bash", "./tool-nightly.sh"]).executable_is("tool", &[])
        );
        assert!(!p(Some("/usr/bin/vim"), &["vim", "tool.md"]).executable_is("tool", &[]));
        assert!(
            !p(Some("/usr/bin/tail"), &["tail", "-f", "/x/tool/s.jsonl"])
                .executable_is("tool", &[])
        );
        // Unreadable executable: the command's own name, exactly.
        assert!(p(None, &["/usr/local/bin/tool", "--resume", "a"]).executable_is("tool", &[]));
        assert!(!p(None, &["tool-nightly.sh"]).executable_is("tool", &[]));
        assert!(
            !p(
                Some("/usr/bin/palingenesis"),
                &["palingenesis", "run", "--", "tool"]
            )
            .executable_is("tool", &[])
        );
    }

    #[test]
    fn a_script_runner_counts_only_for_the_packages_own_entry_point() {
        let node = |script: &str| p(Some("/usr/bin/node"), &["node", "--no-warnings", script]);
        assert!(node("/x/node_modules/@acme/tool/cli.js").runs_script_of("@acme/tool/"));
        assert!(!node("/home/u/tool-helper.js").runs_script_of("@acme/tool/"));
        assert!(
            !p(Some("/usr/bin/python3"), &["python3", "/x/@acme/tool/a.py"])
                .runs_script_of("@acme/tool/")
        );
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
            fn is_agent(&self, _: &ProcessInfo) -> bool {
                true
            }
            fn is_interactive(&self, _: &[String]) -> bool {
                true
            }
        }
        assert!(find_agents(&Any, "a", &loc).is_empty());
    }
}

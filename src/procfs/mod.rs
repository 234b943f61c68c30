//! What Linux's `/proc` says about processes, in one place. [`find_agents`] finds the live process of an assistant's
//! session. Here: a process's parent, its parent, process group, controlling terminal, the terminal's
//! foreground group and its start time. A pid alone can be reused; a pid with its start time names one process.
//! Elsewhere than Linux every reader answers `None`, so nothing is ever found reachable.

mod agents;

use std::path::{Path, PathBuf};

#[cfg(test)]
pub use agents::testing;
pub use agents::{
    AgentProcess, ProcessInfo, Writer, environment, find_agents, has_prompt_flag, writer_of,
    writers_of,
};

use serde::{Deserialize, Serialize};

/// One process, named so that a reused pid does not match: the pid and its start time (clock ticks after boot,
/// field 22 of `/proc/<pid>/stat`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProcId {
    pub pid: u32,
    pub start_time: u64,
}

impl ProcId {
    /// The process `pid` as it is now, if it runs.
    pub fn of(pid: u32) -> Option<ProcId> {
        stat(pid).filter(Stat::running).map(|s| s.id())
    }

    /// Whether this very process (not a later one with the same pid) still runs.
    pub fn still_running(&self) -> bool {
        ProcId::of(self.pid) == Some(*self)
    }
}

/// The fields of `/proc/<pid>/stat` palingenesis uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub pid: u32,
    /// The executable's name as the kernel keeps it (at most 15 bytes; `tmux: server` for a tmux server).
    pub comm: String,
    pub state: char,
    pub ppid: u32,
    pub pgrp: i32,
    pub session: i32,
    /// The controlling terminal's device number (0: none).
    pub tty_nr: u64,
    /// The foreground process group of the controlling terminal (-1: none).
    pub tpgid: i32,
    pub start_time: u64,
}

impl Stat {
    pub fn id(&self) -> ProcId {
        ProcId {
            pid: self.pid,
            start_time: self.start_time,
        }
    }

    /// Not a zombie (nor dead).
    pub fn running(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }

    /// Whether the process is in the foreground of its controlling terminal, i.e. what is typed there reaches it.
    pub fn in_foreground(&self) -> bool {
        self.tty_nr != 0 && self.tpgid > 0 && self.tpgid == self.pgrp
    }
}

/// Parse the text of `/proc/<pid>/stat`. The name is in parentheses and may itself contain spaces and
/// parentheses, so the fields after it are found from the last `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // rest[0] is field 3 (state); field n is rest[n - 3].
    let field = |n: usize| rest.get(n - 3).copied();
    Some(Stat {
        pid,
        comm,
        state: field(3)?.chars().next()?,
        ppid: field(4)?.parse().ok()?,
        pgrp: field(5)?.parse().ok()?,
        session: field(6)?.parse().ok()?,
        tty_nr: field(7)?.parse::<i64>().ok()? as u64,
        tpgid: field(8)?.parse().ok()?,
        start_time: field(22)?.parse().ok()?,
    })
}

/// `/proc/<pid>/stat`, parsed.
#[cfg(target_os = "linux")]
pub fn stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

#[cfg(not(target_os = "linux"))]
pub fn stat(_pid: u32) -> Option<Stat> {
    None
}

/// `pid` and its ancestors, nearest first, up to (not including) pid 0. Stops early where `/proc` has no entry.
pub fn lineage(pid: u32) -> Vec<Stat> {
    let mut out: Vec<Stat> = Vec::new();
    let mut next = pid;
    while next != 0 && out.len() < 128 {
        let Some(s) = stat(next) else { break };
        next = s.ppid;
        out.push(s);
    }
    out
}

/// Of `pids`, those none of the others descends from: an agent that relaunched itself as its own child
/// (Gemini CLI and its forks restart under `node` with a bigger heap) is one agent, the child doing the work.
pub fn innermost(pids: &[u32]) -> Vec<u32> {
    innermost_by(pids, |pid| {
        lineage(pid).iter().skip(1).map(|s| s.pid).collect()
    })
}

fn innermost_by(pids: &[u32], ancestors: impl Fn(u32) -> Vec<u32>) -> Vec<u32> {
    let ancestors: Vec<Vec<u32>> = pids.iter().map(|&p| ancestors(p)).collect();
    pids.iter()
        .copied()
        .filter(|p| !ancestors.iter().any(|up| up.contains(p)))
        .collect()
}

/// `(major, minor)` of a device number, in either the kernel's 32-bit `tty_nr` form or the 64-bit `st_rdev`
/// form (they agree for every major below 4096).
pub fn dev_major_minor(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

/// Whether the terminal device at `path` (`/dev/pts/3`) is the controlling terminal `tty_nr`.
pub fn is_tty(path: &Path, tty_nr: u64) -> bool {
    use std::os::unix::fs::MetadataExt;
    tty_nr != 0
        && std::fs::metadata(path)
            .is_ok_and(|m| dev_major_minor(m.rdev()) == dev_major_minor(tty_nr))
}

/// The command line of `pid`.
#[cfg(target_os = "linux")]
pub fn cmdline(pid: u32) -> Option<Vec<String>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
    )
}

#[cfg(not(target_os = "linux"))]
pub fn cmdline(_pid: u32) -> Option<Vec<String>> {
    None
}

/// The paths of the Unix sockets `pid` listens on (its descriptors matched against `/proc/net/unix`).
#[cfg(target_os = "linux")]
pub fn listening_unix_sockets(pid: u32) -> Vec<PathBuf> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let inodes: Vec<String> = fds
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let t = target.to_str()?;
            Some(t.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    let table = std::fs::read_to_string("/proc/net/unix").unwrap_or_default();
    listening_paths(&table, &inodes)
}

#[cfg(not(target_os = "linux"))]
pub fn listening_unix_sockets(_pid: u32) -> Vec<PathBuf> {
    Vec::new()
}

/// From the text of `/proc/net/unix`, the paths of listening sockets among `inodes`.
/// Columns: `Num RefCount Protocol Flags Type St Inode Path`; flag `00010000` is `__SO_ACCEPTCON`.
pub fn listening_paths(table: &str, inodes: &[String]) -> Vec<PathBuf> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (flags, inode, path) = (cols.get(3)?, cols.get(6)?, cols.get(7)?);
            let listening = u32::from_str_radix(flags, 16).ok()? & 0x0001_0000 != 0;
            (listening && !path.starts_with('@') && inodes.iter().any(|i| i == inode))
                .then(|| PathBuf::from(path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relaunched_agent_is_its_innermost_process() {
        // 10 relaunched itself as 11; 20 is another agent; 30 runs under 11 (a tool it started, say).
        let ancestors = |pid: u32| match pid {
            11 => vec![10, 1],
            30 => vec![11, 10, 1],
            _ => vec![1],
        };
        assert_eq!(innermost_by(&[10, 11, 20], ancestors), [11, 20]);
        assert_eq!(innermost_by(&[10, 11, 30], ancestors), [30]);
        assert_eq!(innermost_by(&[20], ancestors), [20]);
    }

    #[test]
    fn stat_lines_parse_even_with_odd_names() {
        let line = "31461 (claude) S 31460 31461 31461 34816 31461 4194304 57688 4828 40 12 169 37 4 2 20 0 8 0 234904 75115188224 67153";
        let s = parse_stat(line).unwrap();
        assert_eq!(
            (s.pid, s.ppid, s.pgrp, s.tty_nr, s.tpgid, s.start_time),
            (31461, 31460, 31461, 34816, 31461, 234904)
        );
        assert!(s.in_foreground());
        let odd = "7 (tmux: server (x)) S 1 7 7 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0";
        let s = parse_stat(odd).unwrap();
        assert_eq!(s.comm, "tmux: server (x)");
        assert_eq!((s.tty_nr, s.tpgid, s.start_time), (0, -1, 99));
        assert!(!s.in_foreground());
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn a_background_job_is_not_in_the_foreground() {
        let line = "500 (claude) T 400 500 400 34816 400 0 0 0 0 0 0 0 0 0 20 0 1 0 1234 0 0";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.state, 'T');
        assert!(
            !s.in_foreground(),
            "the shell (pgrp 400) holds the terminal"
        );
    }

    #[test]
    fn device_numbers_compare_across_encodings() {
        // /dev/pts/0 is 136:0: tty_nr 34816 and st_rdev 34816 agree; pts 300 needs the high minor bits.
        assert_eq!(dev_major_minor(34816), (136, 0));
        let rdev_300 = (300 & 0xff) | (136 << 8) | ((300 & !0xff) << 12);
        assert_eq!(dev_major_minor(rdev_300), (136, 300));
    }

    #[test]
    fn listening_sockets_are_found_by_inode() {
        let table = "Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 4711 /tmp/tmux-0/default\n\
            0000000000000000: 00000003 00000000 00000000 0001 03 4712 /tmp/tmux-0/default\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 4713 @abstract\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 4714 /run/other.sock\n";
        let inodes = vec!["4711".to_string(), "4712".to_string(), "4713".to_string()];
        assert_eq!(
            listening_paths(table, &inodes),
            vec![PathBuf::from("/tmp/tmux-0/default")]
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_found_with_its_lineage() {
        let me = ProcId::of(std::process::id()).unwrap();
        assert!(me.still_running());
        let reused = ProcId {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(!reused.still_running());
        let chain = lineage(std::process::id());
        assert_eq!(chain[0].pid, std::process::id());
        assert_eq!(chain[1].pid, std::os::unix::process::parent_id());
    }
}

//! Reaching another machine's daemon with tools people already run: the system `ssh` runs the same CLI on
//! the remote machine (`ssh box palingenesis status --json`), so the remote side speaks the same protocol to
//! its own daemon over its own private socket. No new network listener anywhere.

use std::ffi::OsString;
use std::process::Command;

use crate::config::{FleetConfig, check_destination};

/// `ssh` reports its own failures (cannot connect, auth refused) with this exit status.
pub const SSH_FAILED: i32 = 255;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("--host {0}")]
    BadHost(String),
}

/// Quote `arg` for a POSIX shell (the remote login shell reads the command line ssh sends).
pub fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        return arg.to_string();
    }
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// The remote command line: `remote_command` as configured (run by the remote shell), then `args`, quoted.
pub fn remote_command_line(fleet: &FleetConfig, args: &[String]) -> String {
    let mut line = fleet.remote_command.trim().to_string();
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    line
}

/// `ssh [fleet.ssh options] [extra] -- HOST 'palingenesis ARGS…'`.
pub fn ssh_command(
    fleet: &FleetConfig,
    host: &str,
    extra_ssh_options: &[&str],
    args: &[String],
) -> Result<Command, RemoteError> {
    check_destination(host).map_err(RemoteError::BadHost)?;
    let mut words = fleet.ssh.split_whitespace();
    let mut cmd = Command::new(words.next().unwrap_or("ssh"));
    cmd.args(words)
        .args(extra_ssh_options)
        .arg("--")
        .arg(host)
        .arg(remote_command_line(fleet, args));
    Ok(cmd)
}

/// The command line without the `--host DEST` / `--host=DEST` option (and without the program name).
pub fn strip_host_option(args: impl IntoIterator<Item = OsString>) -> Vec<String> {
    let mut out = Vec::new();
    let mut args = args
        .into_iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    while let Some(a) = args.next() {
        if a == "--" {
            out.push(a);
            out.extend(args.by_ref());
            break;
        }
        if a == "--host" {
            args.next();
        } else if !a.starts_with("--host=") {
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case("status", "status")]
    #[case("--json", "--json")]
    #[case("a b", "'a b'")]
    #[case("it's", r"'it'\''s'")]
    #[case("$(rm -rf ~)", "'$(rm -rf ~)'")]
    #[case("", "''")]
    fn quotes_for_a_posix_shell(#[case] arg: &str, #[case] want: &str) {
        assert_eq!(shell_quote(arg), want);
    }

    #[test]
    fn the_host_option_is_removed_wherever_it_is() {
        let args = |s: &[&str]| s.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            strip_host_option(args(&[
                "palingenesis",
                "--host",
                "u@box",
                "status",
                "--json"
            ])),
            ["status", "--json"]
        );
        assert_eq!(
            strip_host_option(args(&["palingenesis", "skip", "--host=box", "abc"])),
            ["skip", "abc"]
        );
        assert_eq!(
            strip_host_option(args(&[
                "palingenesis",
                "run",
                "--",
                "claude",
                "--host",
                "x"
            ])),
            ["run", "--", "claude", "--host", "x"]
        );
    }

    #[test]
    fn ssh_gets_the_host_after_its_options_and_the_command_quoted() {
        let fleet = FleetConfig {
            ssh: "ssh -F /tmp/cfg".into(),
            remote_command: "env PALINGENESIS_HOME=/srv/p palingenesis".into(),
            ..Default::default()
        };
        let cmd = ssh_command(
            &fleet,
            "u@box",
            &["-o", "BatchMode=yes"],
            &["skip".into(), "a b".into()],
        )
        .unwrap();
        let argv: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(cmd.get_program(), "ssh");
        assert_eq!(
            argv,
            [
                "-F",
                "/tmp/cfg",
                "-o",
                "BatchMode=yes",
                "--",
                "u@box",
                "env PALINGENESIS_HOME=/srv/p palingenesis skip 'a b'"
            ]
        );
        assert!(ssh_command(&fleet, "-oProxyCommand=x", &[], &[]).is_err());
    }
}

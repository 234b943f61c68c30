//! `palingenesis --host DEST <command>`: the same command, run by palingenesis on DEST over the system ssh.

use anyhow::Context;

use crate::cli::exit;
use crate::paths::Paths;
use crate::remote::{SSH_FAILED, ssh_command};

pub fn run(paths: &Paths, host: &str, args: Vec<String>) -> anyhow::Result<u8> {
    let config = crate::config::load(&paths.config_file)?;
    let mut cmd = ssh_command(&config.fleet, host, &[], &args)?;
    let status = cmd
        .status()
        .with_context(|| format!("cannot run `{}`", config.fleet.ssh))?;
    match status.code() {
        Some(SSH_FAILED) => anyhow::bail!("ssh to {host} failed (see ssh's message above)"),
        Some(code) => Ok(u8::try_from(code).unwrap_or(exit::FAILURE)),
        None => anyhow::bail!("ssh to {host} was killed by a signal"),
    }
}

//! `[fleet]`: other machines' daemons, reached over the system `ssh` (`--host`, `palingenesis fleet`).

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FleetConfig {
    /// Machines `palingenesis fleet status|sessions` shows: ssh destinations (`box`, `user@box`, an alias from
    /// `~/.ssh/config`).
    pub hosts: Vec<String>,
    /// The ssh command, split on whitespace (`ssh -F ~/.ssh/fleet_config`); its options come before the host.
    pub ssh: String,
    /// What runs palingenesis on the remote machine, by the remote login shell (`~/.cargo/bin/palingenesis`,
    /// `env PALINGENESIS_HOME=/srv/p palingenesis`); the command's arguments are quoted after it.
    pub remote_command: String,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            hosts: Vec::new(),
            ssh: "ssh".into(),
            remote_command: "palingenesis".into(),
        }
    }
}

impl FleetConfig {
    /// The offending key and why, if any.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.ssh.split_whitespace().next().is_none() {
            return Err(("fleet.ssh".into(), "must name the ssh command".into()));
        }
        if self.remote_command.trim().is_empty() {
            return Err(("fleet.remote_command".into(), "must not be empty".into()));
        }
        for (i, host) in self.hosts.iter().enumerate() {
            if let Err(why) = check_destination(host) {
                return Err(("fleet.hosts".into(), format!("entry {i}: {why}")));
            }
        }
        Ok(())
    }
}

/// An ssh destination must not be mistaken for an option or carry shell syntax.
pub fn check_destination(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("an empty host".into());
    }
    if host.starts_with('-') {
        return Err(format!(
            "`{host}` starts with `-` (it would be read as an ssh option)"
        ));
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{host}` contains whitespace"));
    }
    Ok(())
}

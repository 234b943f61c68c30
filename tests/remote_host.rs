//! Many machines over the system ssh: a second daemon reached through a real `ssh` to a real `sshd` on
//! 127.0.0.1 (started here on a free port, with its own host key, config and a temporary client key; no system
//! service). `--host` runs any command there with its exit code; `fleet status|sessions` shows every
//! configured host side by side, an unreachable one included.
//!
//! Needs `sshd` (Debian `openssh-server`): `scripts/install-test-deps.sh`.

mod support;

use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::home::{BIN, Home, KillOnDrop, free_port, wait_until};

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs")
        .success();
    assert!(ok, "ssh-keygen failed");
}

/// An sshd of our own on 127.0.0.1, accepting one temporary key for the current user.
struct Sshd {
    _child: KillOnDrop,
    port: u16,
}

impl Sshd {
    fn start(dir: &Path) -> Sshd {
        let sshd = Path::new("/usr/sbin/sshd");
        assert!(
            sshd.exists(),
            "sshd is missing: run scripts/install-test-deps.sh"
        );
        // As root, sshd insists on its privilege-separation directory (systemd creates it for the service).
        if nix::unistd::geteuid().is_root() {
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        keygen(&dir.join("host_key"));
        keygen(&dir.join("client_key"));
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        let port = free_port();
        let d = dir.display();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
                 AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            ),
        )
        .unwrap();
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
            .spawn()
            .expect("sshd starts");
        wait_until(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Sshd {
            _child: KillOnDrop(child),
            port,
        }
    }
}

#[test]
fn host_runs_any_command_on_a_remote_daemon_and_fleet_shows_hosts_side_by_side() {
    let ssh_dir = tempfile::tempdir().unwrap();
    let dir = ssh_dir.path();
    let sshd = Sshd::start(dir);
    let user = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name;
    let d = dir.display();
    std::fs::write(
        dir.join("ssh_config"),
        format!(
            "Host fleet-box dead-box\n  HostName 127.0.0.1\n  User {user}\n  IdentityFile {d}/client_key\n  \
             IdentitiesOnly yes\n  UserKnownHostsFile {d}/known_hosts\n  StrictHostKeyChecking accept-new\n  \
             BatchMode yes\n  LogLevel ERROR\nHost fleet-box\n  Port {}\nHost dead-box\n  Port {}\n",
            sshd.port,
            free_port()
        ),
    )
    .unwrap();

    let remote = Home::new();
    remote.start();
    let remote_pid = remote.daemon_pid();
    let local = Home::new();
    local.write_config(&format!(
        "[fleet]\nhosts = [\"fleet-box\", \"dead-box\"]\nssh = \"ssh -F {d}/ssh_config\"\n\
         remote_command = \"env PALINGENESIS_HOME={} HOME={} {BIN}\"\n",
        remote.palingenesis_home(),
        remote.user_home().display()
    ));

    let status: serde_json::Value =
        serde_json::from_str(&local.ok(&["--host", "fleet-box", "status", "--json"])).unwrap();
    assert_eq!(status["pid"], remote_pid, "the remote daemon answered");

    local.ok(&["--host", "fleet-box", "pause"]);
    assert!(
        remote.ok(&["status"]).contains("PAUSED"),
        "the remote daemon is paused"
    );

    let session = "5e5510a1-aaaa-4bbb-8ccc-dddddddddddd";
    remote.claude_api_error(session, "billing_error", "Credit balance is too low");
    remote.wait_event("NeedsAttention");
    let sessions = local.ok(&["sessions", "--host=fleet-box"]);
    assert!(sessions.contains(&session[..8]), "{sessions}");

    let (code, _, err) = local.run(&["--host", "fleet-box", "skip", "no such session"]);
    assert_eq!(code, 1, "the remote exit code comes back: {err}");
    assert!(
        err.contains("no such session"),
        "arguments arrive intact: {err}"
    );

    let (code, table, _) = local.run(&["fleet", "status"]);
    assert_eq!(code, 1, "one host is unreachable:\n{table}");
    let rows: Vec<&str> = table.lines().collect();
    assert!(
        rows[0].starts_with("HOST") && rows[0].contains("SAVES"),
        "{table}"
    );
    assert!(
        rows[1].starts_with("fleet-box") && rows[1].contains("PAUSED"),
        "{table}"
    );
    assert!(
        rows[2].starts_with("dead-box") && rows[2].contains("unreachable"),
        "{table}"
    );

    let (_, json, _) = local.run(&["fleet", "sessions", "--json"]);
    let hosts: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(hosts[0]["host"], "fleet-box");
    assert_eq!(hosts[0]["answer"]["sessions"][0]["key"]["id"], session);
    assert!(hosts[1]["error"].is_string(), "{hosts}");
    let (_, table, _) = local.run(&["fleet", "sessions"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("fleet-box") && l.contains(&session[..8])),
        "{table}"
    );
}

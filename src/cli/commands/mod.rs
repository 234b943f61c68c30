//! One module per command. [`dispatch`] routes; every command returns its exit code.

mod classify;
mod config;
mod config_validate;
mod control;
mod daemon;
mod doctor;
mod events;
mod fleet;
mod forget;
mod hook;
mod hooks;
mod inspect;
mod installers;
mod logs;
mod mcp_install;
mod notify_test;
mod remote;
mod run;
mod service;
mod sessions;
mod setup;
mod status;

use anyhow::Context;
use clap::CommandFactory;

use super::args::{Cli, Command, SessionsCmd};
use super::exit;
use crate::paths::Paths;

pub fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let paths = Paths::from_env();
    let v = cli.verbose;
    // Only commands that show something to a person decide colour and zone (`hook` stays as lean as it was).
    let (color, utc) = (cli.color, cli.utc);
    let d = || super::display::Display::from_env(color, utc);
    if let Some(host) = &cli.host {
        return remote::run(
            &paths,
            host,
            crate::remote::strip_host_option(std::env::args_os()),
        );
    }
    match cli.command {
        Command::Daemon(cmd) => daemon::run(cmd, &paths, v),
        Command::Status(w) => block_on(status::run(&paths, w, d())),
        Command::Health(f) => block_on(status::health(&paths, f.json, d())),
        Command::Doctor(f) => block_on(doctor::run(&paths, f.json)),
        Command::Setup(a) => setup::run(&paths, a),
        Command::Notify(crate::cli::args::NotifyCmd::Test { channel, json }) => {
            block_on(notify_test::run(&paths, channel, json))
        }
        Command::Sessions(a) => match a.action {
            None => block_on(sessions::run(&paths, a.view, d())),
            Some(SessionsCmd::Forget(f)) => block_on(forget::run(&paths, f)),
        },
        Command::Preview(f) => block_on(sessions::preview(&paths, f.json, d())),
        Command::Pause(f) => block_on(control::pause(&paths, f.json)),
        Command::Resume(t) => block_on(control::resume(&paths, t)),
        Command::NewSession(t) => block_on(control::new_session(&paths, t)),
        Command::Skip(t) => block_on(control::skip(&paths, t)),
        Command::Abort(t) => block_on(control::abort(&paths, t)),
        Command::Logs(a) => block_on(logs::run(&paths, a)),
        Command::Events(a) => block_on(events::run(&paths, a, d())),
        Command::Config(c) => config::run(c, &paths),
        Command::Hook(a) => block_on(hook::run(&paths, a.assistant)),
        Command::Hooks(c) => hooks::run(c),
        Command::Run(a) => run::run(&paths, a),
        Command::Classify(a) => classify::run(a),
        Command::Inspect(a) => block_on(inspect::run(&paths, a, d())),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "palingenesis",
                &mut std::io::stdout(),
            );
            Ok(exit::OK)
        }
        Command::Man { dir: None } => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(exit::OK)
        }
        Command::Man { dir: Some(dir) } => {
            std::fs::create_dir_all(&dir)?;
            clap_mangen::generate_to(Cli::command(), &dir)?;
            println!("man pages written to {}", dir.display());
            Ok(exit::OK)
        }
        Command::Service(c) => service::run(c, &paths),
        Command::Fleet(c) => block_on(fleet::run(&paths, c, d())),
        Command::Mcp { action: None } => block_on(async {
            crate::mcp::serve_stdio(paths).await?;
            Ok(exit::OK)
        }),
        Command::Mcp {
            action: Some(action),
        } => mcp_install::run(action),
    }
}

/// Run a command's future on a small runtime.
fn block_on<F: std::future::Future<Output = anyhow::Result<u8>>>(fut: F) -> anyhow::Result<u8> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(fut)
}

/// Ask the daemon. With `--json`, a daemon that is not running is reported as JSON on stdout
/// (`{"running": false, "error": …}`) with exit code 3, so a script reading stdout always gets JSON:
/// `Err(code)` is then the exit code to return.
pub(crate) async fn ask(
    paths: &Paths,
    req: &crate::protocol::Request,
    json: bool,
) -> anyhow::Result<Result<crate::protocol::Response, u8>> {
    use crate::ipc::client::ClientError;
    match crate::ipc::client::request_once(&paths.socket(), req).await {
        Ok(resp) => Ok(Ok(resp)),
        Err(e @ ClientError::NotRunning { .. }) if json => {
            super::render::json(&serde_json::json!({"running": false, "error": e.to_string()}))?;
            Ok(Err(exit::NOT_RUNNING))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether a daemon answers on the socket.
pub(crate) fn daemon_answers(paths: &Paths) -> bool {
    let connect = async {
        let c = crate::ipc::client::Client::connect(&paths.socket(), "cli").await;
        Ok(u8::from(c.is_ok()))
    };
    block_on(connect).is_ok_and(|answered| answered == 1)
}

/// Parse `--since`: RFC 3339, or a duration ago like `90s`, `10m`, `2h`, `3d`.
pub(crate) fn parse_since(s: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .with_context(|| format!("`{s}` is neither RFC 3339 nor a duration like 10m"))?;
    let secs = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => anyhow::bail!("unknown unit in `{s}` (use s, m, h or d)"),
    };
    Ok(chrono::Utc::now() - chrono::Duration::seconds(secs))
}

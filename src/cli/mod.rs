//! The command-line front end. `main.rs` calls [`main`]; each command lives in its own file under `commands/`.

mod args;
mod commands;
pub mod display;
mod render;

use std::process::ExitCode;

pub use args::{Cli, Command};
use clap::{CommandFactory, FromArgMatches};

use crate::ipc::client::ClientError;

/// Exit codes, documented in `--help`.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const NOT_RUNNING: u8 = 3;
    pub const VERSION_MISMATCH: u8 = 4;
}

/// Parse arguments and run the command.
pub fn main() -> ExitCode {
    let command = Cli::command().color(help_colour(std::env::args()));
    let cli = Cli::from_arg_matches_mut(&mut command.get_matches()).unwrap_or_else(|e| e.exit());
    match commands::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = match err.downcast_ref::<ClientError>() {
                Some(ClientError::NotRunning { .. }) => exit::NOT_RUNNING,
                Some(ClientError::VersionMismatch { .. }) => exit::VERSION_MISMATCH,
                _ => exit::FAILURE,
            };
            eprintln!("error: {err:#}");
            ExitCode::from(code)
        }
    }
}

/// Whether clap's own help and usage errors are coloured. clap prints them while it parses, before `--color`
/// is read into [`Cli`], so the flag is looked for in the raw arguments here and judged like every other output
/// (`NO_COLOR`, `CLICOLOR_FORCE`, a terminal).
fn help_colour(args: impl Iterator<Item = String>) -> clap::ColorChoice {
    use clap::ValueEnum;
    use display::ColorWhen;
    let mut when = ColorWhen::Auto;
    let mut args = args.skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--" => break,
            "--color" => args.next(),
            _ => arg.strip_prefix("--color=").map(str::to_string),
        };
        if let Some(w) = value.and_then(|v| ColorWhen::from_str(&v, true).ok()) {
            when = w;
        }
    }
    let env = |name: &str| std::env::var(name).ok();
    let stdout_is_tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
    match display::color::enabled(when, env, stdout_is_tty) {
        true => clap::ColorChoice::Always,
        false => clap::ColorChoice::Never,
    }
}

//! The command-line front end. `main.rs` calls [`main`]; each command lives in its own file under `commands/`.

mod args;
mod commands;
pub mod display;
mod render;

use std::process::ExitCode;

pub use args::{Cli, Command};
use clap::Parser;

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
    let cli = Cli::parse();
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

//! `palingenesis run -- <agent> [args…]`: the agent under palingenesis's own terminal (see [`crate::wrapper`]).

use crate::cli::args::RunArgs;
use crate::paths::Paths;
use crate::wrapper::{RunOptions, run as run_wrapped};

pub fn run(paths: &Paths, args: RunArgs) -> anyhow::Result<u8> {
    Ok(run_wrapped(RunOptions {
        command: args.command,
        paths: paths.clone(),
    })?)
}

//! `palingenesis sessions forget <SESSION> [--force]`.

use crate::cli::args::ForgetArgs;
use crate::paths::Paths;
use crate::protocol::{ForgetRequest, Request};

pub async fn run(paths: &Paths, args: ForgetArgs) -> anyhow::Result<u8> {
    let req = Request::Forget(ForgetRequest {
        session: args.session,
        force: args.force,
    });
    super::control::send(paths, req, args.json).await
}

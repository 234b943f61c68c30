//! `palingenesis sessions forget <SESSION> [--force]`.

use crate::cli::args::ForgetArgs;
use crate::cli::render;
use crate::ipc::client::request_once;
use crate::paths::Paths;
use crate::protocol::{ForgetRequest, Request};

pub async fn run(paths: &Paths, args: ForgetArgs) -> anyhow::Result<u8> {
    let req = Request::Forget(ForgetRequest {
        session: args.session,
        force: args.force,
    });
    render::done_or_error(request_once(&paths.socket(), &req).await?)
}

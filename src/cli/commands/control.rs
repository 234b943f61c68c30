//! `pause`, `resume`, `new-session`, `skip`, `abort`: one request each, answered with what happened.

use crate::cli::render;
use crate::ipc::client::request_once;
use crate::paths::Paths;
use crate::protocol::{Request, Target};

async fn send(paths: &Paths, req: Request) -> anyhow::Result<u8> {
    let resp = request_once(&paths.socket(), &req).await?;
    render::done_or_error(resp)
}

pub async fn pause(paths: &Paths) -> anyhow::Result<u8> {
    send(paths, Request::Pause).await
}

/// Un-pause, or with a session, resume that session now.
pub async fn resume(paths: &Paths, session: Option<String>) -> anyhow::Result<u8> {
    match session {
        None => send(paths, Request::Resume).await,
        Some(s) => send(paths, Request::ResumeSession(Target { session: Some(s) })).await,
    }
}

pub async fn new_session(paths: &Paths, session: Option<String>) -> anyhow::Result<u8> {
    send(paths, Request::NewSession(Target { session })).await
}

pub async fn skip(paths: &Paths, session: Option<String>) -> anyhow::Result<u8> {
    send(paths, Request::Skip(Target { session })).await
}

pub async fn abort(paths: &Paths, session: Option<String>) -> anyhow::Result<u8> {
    send(paths, Request::Abort(Target { session })).await
}

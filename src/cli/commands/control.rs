//! `pause`, `resume`, `new-session`, `skip`, `abort`: one request each, answered with what happened
//! (`--json`: the daemon's answer as it is).

use crate::cli::args::TargetArg;
use crate::cli::{exit, render};
use crate::ipc::client::request_once;
use crate::paths::Paths;
use crate::protocol::{Request, Response, Target};

/// Send `req`; print the answer (as it is with `json`); exit 0 when it was done.
pub async fn send(paths: &Paths, req: Request, json: bool) -> anyhow::Result<u8> {
    let resp = request_once(&paths.socket(), &req).await?;
    if !json {
        return render::done_or_error(resp);
    }
    println!("{}", serde_json::to_string(&resp)?);
    Ok(match resp {
        Response::Done(_) => exit::OK,
        _ => exit::FAILURE,
    })
}

pub async fn pause(paths: &Paths, json: bool) -> anyhow::Result<u8> {
    send(paths, Request::Pause, json).await
}

/// Un-pause, or with a session, resume that session now.
pub async fn resume(paths: &Paths, t: TargetArg) -> anyhow::Result<u8> {
    let req = match t.session {
        None => Request::Resume,
        Some(s) => Request::ResumeSession(Target { session: Some(s) }),
    };
    send(paths, req, t.json).await
}

pub async fn new_session(paths: &Paths, t: TargetArg) -> anyhow::Result<u8> {
    let req = Request::NewSession(Target { session: t.session });
    send(paths, req, t.json).await
}

pub async fn skip(paths: &Paths, t: TargetArg) -> anyhow::Result<u8> {
    send(paths, Request::Skip(Target { session: t.session }), t.json).await
}

pub async fn abort(paths: &Paths, t: TargetArg) -> anyhow::Result<u8> {
    send(paths, Request::Abort(Target { session: t.session }), t.json).await
}

//! `palingenesis sessions` and `palingenesis preview`.

use crate::cli::{exit, render};
use crate::ipc::client::request_once;
use crate::paths::Paths;
use crate::protocol::{Request, Response};

pub async fn run(paths: &Paths, json: bool, preview: bool) -> anyhow::Result<u8> {
    let req = if preview {
        Request::Preview
    } else {
        Request::Sessions
    };
    match request_once(&paths.socket(), &req).await? {
        Response::Sessions(list) | Response::Preview(list) => {
            if json {
                render::json(&list)?;
            } else {
                print!("{}", render::sessions(&list, chrono::Utc::now()));
            }
            Ok(exit::OK)
        }
        other => render::unexpected(other),
    }
}

//! `palingenesis sessions` and `palingenesis preview`.

use crate::cli::{exit, render};
use crate::paths::Paths;
use crate::protocol::{Request, Response};

pub async fn run(paths: &Paths, json: bool, preview: bool) -> anyhow::Result<u8> {
    let req = if preview {
        Request::Preview
    } else {
        Request::Sessions
    };
    let resp = match super::ask(paths, &req, json).await? {
        Ok(resp) => resp,
        Err(code) => return Ok(code),
    };
    match resp {
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

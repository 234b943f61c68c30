//! `palingenesis sessions [--watch]` and `palingenesis preview`.

use crate::cli::args::WatchArgs;
use crate::cli::display::Display;
use crate::cli::display::watch::{self, View};
use crate::cli::{exit, render};
use crate::paths::Paths;
use crate::protocol::{Request, Response};

pub async fn run(paths: &Paths, args: WatchArgs, d: Display) -> anyhow::Result<u8> {
    if args.watch {
        return watch::run(paths, d, View::Sessions, args.json).await;
    }
    show(paths, Request::Sessions, args.json, d).await
}

pub async fn preview(paths: &Paths, json: bool, d: Display) -> anyhow::Result<u8> {
    show(paths, Request::Preview, json, d).await
}

async fn show(paths: &Paths, req: Request, json: bool, d: Display) -> anyhow::Result<u8> {
    let resp = match super::ask(paths, &req, json).await? {
        Ok(resp) => resp,
        Err(code) => return Ok(code),
    };
    match resp {
        Response::Sessions(list) | Response::Preview(list) => {
            if json {
                render::json(&list)?;
            } else {
                print!("{}", d.sessions(&list, chrono::Utc::now()));
            }
            Ok(exit::OK)
        }
        other => render::unexpected(other),
    }
}

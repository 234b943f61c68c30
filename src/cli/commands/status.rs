//! `palingenesis status [--watch]` and `palingenesis health`.

use crate::cli::args::WatchArgs;
use crate::cli::display::watch::{self, View};
use crate::cli::display::{Display, color};
use crate::cli::{exit, render};
use crate::paths::Paths;
use crate::protocol::{Request, Response};

pub async fn run(paths: &Paths, args: WatchArgs, d: Display) -> anyhow::Result<u8> {
    let json = args.json;
    if args.watch {
        return watch::run(paths, d, View::Status, json).await;
    }
    let resp = match super::ask(paths, &Request::Status, json).await? {
        Ok(resp) => resp,
        Err(code) => return Ok(code),
    };
    match resp {
        Response::Status(s) => {
            if json {
                render::json(&s)?;
            } else {
                print!("{}", render::status(&s, chrono::Utc::now(), &d));
            }
            Ok(exit::OK)
        }
        other => render::unexpected(other),
    }
}

pub async fn health(paths: &Paths, json: bool, d: Display) -> anyhow::Result<u8> {
    let resp = match super::ask(paths, &Request::Health, json).await? {
        Ok(resp) => resp,
        Err(code) => return Ok(code),
    };
    match resp {
        Response::Health(h) => {
            if json {
                render::json(&h)?;
            } else {
                for c in &h.checks {
                    let verdict = match c.ok {
                        true => d.paint.paint(color::GOOD, "ok  "),
                        false => d.paint.paint(color::BAD, "FAIL"),
                    };
                    println!("{verdict} {:<20} {}", c.name, c.detail);
                }
            }
            Ok(if h.ok { exit::OK } else { exit::FAILURE })
        }
        other => render::unexpected(other),
    }
}

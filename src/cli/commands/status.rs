//! `palingenesis status` and `palingenesis health`.

use crate::cli::{exit, render};
use crate::ipc::client::request_once;
use crate::paths::Paths;
use crate::protocol::{Request, Response};

pub async fn run(paths: &Paths, json: bool) -> anyhow::Result<u8> {
    match request_once(&paths.socket(), &Request::Status).await? {
        Response::Status(s) => {
            if json {
                render::json(&s)?;
            } else {
                print!("{}", render::status(&s, chrono::Utc::now()));
            }
            Ok(exit::OK)
        }
        other => render::unexpected(other),
    }
}

pub async fn health(paths: &Paths, json: bool) -> anyhow::Result<u8> {
    match request_once(&paths.socket(), &Request::Health).await? {
        Response::Health(h) => {
            if json {
                render::json(&h)?;
            } else {
                for c in &h.checks {
                    println!(
                        "{} {:<20} {}",
                        if c.ok { "ok  " } else { "FAIL" },
                        c.name,
                        c.detail
                    );
                }
            }
            Ok(if h.ok { exit::OK } else { exit::FAILURE })
        }
        other => render::unexpected(other),
    }
}

//! What `setup` finds: each assistant's binary (on PATH or configured) and its version against the tested range.

use std::path::PathBuf;

use serde::Serialize;

use crate::adapter::Adapter;
use crate::cli::commands::doctor::Level;
use crate::cli::commands::doctor::assistant as found;
use crate::config::Config;
use crate::model::Assistant;

/// One assistant as found.
#[derive(Serialize, Debug)]
pub(super) struct Detected {
    pub assistant: Assistant,
    pub found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    binary: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tested: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_tested_range: Option<bool>,
    pub detail: String,
}

/// Every assistant: found or not, and its version against the tested range (asked of all at once).
pub(super) async fn detect(config: &Config) -> Vec<Detected> {
    let all = crate::assistants::all()
        .iter()
        .map(|a| detect_one(*a, config));
    futures::future::join_all(all).await
}

async fn detect_one(adapter: &dyn Adapter, config: &Config) -> Detected {
    let f = found::find(adapter, config);
    let tested = adapter.tested_versions().map(|r| r.to_string());
    let binary = match f.binary {
        Ok(b) => b,
        Err(why) => {
            return Detected {
                assistant: adapter.assistant(),
                found: false,
                binary: None,
                tested,
                in_tested_range: None,
                detail: format!("not found (`{}`: {why})", f.wanted),
            };
        }
    };
    let (level, version) = found::version_check(adapter, &binary).await;
    let in_range = match level {
        Level::Ok => tested.as_ref().map(|_| true),
        _ if version.contains("outside the tested range") => Some(false),
        _ => None,
    };
    Detected {
        assistant: adapter.assistant(),
        found: true,
        detail: format!("found {} ({version})", binary.display()),
        binary: Some(binary),
        tested,
        in_tested_range: in_range,
    }
}

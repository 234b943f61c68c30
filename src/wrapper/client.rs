//! The daemon's side of a wrapper's socket: read the agent's screen, type into it, announce plans, and find the
//! wrappers that started before the daemon did.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::net::UnixStream;

use super::protocol::{PlanNotice, WrapperReply, WrapperRequest};
use crate::interactive::{Key, Terminal, TerminalError};
use crate::ipc::Connection;
use crate::protocol::WrapperRegistration;

/// One request may take this long, connect included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Send one request to the wrapper listening on `socket`.
pub async fn request(socket: &Path, req: &WrapperRequest) -> Result<WrapperReply, TerminalError> {
    let talk = async {
        let stream = UnixStream::connect(socket).await.map_err(|e| {
            TerminalError::new(format!(
                "the wrapper at {} does not answer: {e}",
                socket.display()
            ))
        })?;
        let mut conn = Connection::new(stream);
        conn.send(req)
            .await
            .map_err(|e| TerminalError::new(e.to_string()))?;
        match conn.recv::<WrapperReply>().await {
            Ok(Some(WrapperReply::Error { message })) => Err(TerminalError::new(message)),
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(TerminalError::new("the wrapper closed the connection")),
            Err(e) => Err(TerminalError::new(e.to_string())),
        }
    };
    tokio::time::timeout(REQUEST_TIMEOUT, talk)
        .await
        .map_err(|_| TerminalError::new(format!("the wrapper at {} timed out", socket.display())))?
}

/// Tell the wrapper at `socket` what is planned (shown in its terminal's title).
pub async fn send_plan(socket: &Path, plan: PlanNotice) -> Result<(), TerminalError> {
    request(socket, &WrapperRequest::Plan { plan })
        .await
        .map(drop)
}

/// The wrappers whose sockets are in `dir` and answer; sockets nobody listens on any more are removed.
pub async fn discover(dir: &Path) -> Vec<WrapperRegistration> {
    let mut found = Vec::new();
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return found;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "sock") {
            continue;
        }
        match request(&path, &WrapperRequest::Info).await {
            Ok(WrapperReply::Info(reg)) => found.push(reg),
            Ok(_) => {}
            Err(e) => {
                let refused = UnixStream::connect(&path).await.is_err_and(|e| {
                    matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
                    )
                });
                tracing::debug!(socket = %path.display(), error = %e, refused, "wrapper socket does not answer");
                if refused {
                    let _ = tokio::fs::remove_file(&path).await;
                }
            }
        }
    }
    found
}

/// A wrapper's terminal, reached through its socket.
#[derive(Clone, Debug)]
pub struct WrapperTerminal {
    pub id: String,
    pub socket: PathBuf,
}

impl Terminal for WrapperTerminal {
    fn describe(&self) -> String {
        format!("palingenesis run wrapper {}", self.id)
    }

    fn screen(&self) -> BoxFuture<'_, Result<String, TerminalError>> {
        async move {
            match request(&self.socket, &WrapperRequest::Screen).await? {
                WrapperReply::Screen { text } => Ok(text),
                other => Err(TerminalError::new(format!(
                    "unexpected wrapper reply {other:?}"
                ))),
            }
        }
        .boxed()
    }

    fn send_text<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), TerminalError>> {
        async move {
            request(
                &self.socket,
                &WrapperRequest::Type {
                    text: text.to_string(),
                },
            )
            .await
            .map(drop)
        }
        .boxed()
    }

    fn send_key(&self, key: Key) -> BoxFuture<'_, Result<(), TerminalError>> {
        async move {
            request(&self.socket, &WrapperRequest::Key { key })
                .await
                .map(drop)
        }
        .boxed()
    }
}

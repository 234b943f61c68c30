//! The wrapper's socket: the daemon (only processes of the same user) reads the agent's screen, types into the
//! agent's terminal and announces its plan.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::display::Display;
use super::protocol::{WrapperReply, WrapperRequest};
use crate::ipc::Connection;
use crate::protocol::WrapperRegistration;

/// What the wrapper's threads and its socket share.
pub struct Shared<W: Write + Send> {
    pub display: Mutex<Display<W>>,
    /// The agent's terminal input (the pty master).
    pub input: Mutex<Box<dyn Write + Send>>,
    pub registration: WrapperRegistration,
}

impl<W: Write + Send> Shared<W> {
    /// Write to the agent's terminal, as the keyboard would.
    pub fn type_bytes(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut input = self.input.lock().unwrap_or_else(|e| e.into_inner());
        input.write_all(bytes)?;
        input.flush()
    }
}

/// Serve connections until `stop`.
pub async fn serve<W: Write + Send + 'static>(
    listener: UnixListener,
    shared: Arc<Shared<W>>,
    stop: CancellationToken,
) {
    let me = nix::unistd::getuid().as_raw();
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    debug!(error = %e, "accept on the wrapper socket failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if stream.peer_cred().map(|c| c.uid()).ok() != Some(me) {
            debug!("refused a wrapper connection from another user");
            continue;
        }
        let shared = shared.clone();
        let stop = stop.clone();
        crate::tasks::spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = connection(stream, shared) => {}
            }
        });
    }
}

async fn connection<W: Write + Send + 'static>(stream: UnixStream, shared: Arc<Shared<W>>) {
    let mut conn = Connection::new(stream);
    while let Ok(Some(req)) = conn.recv::<WrapperRequest>().await {
        let reply = answer(req, shared.clone()).await;
        if conn.send(&reply).await.is_err() {
            return;
        }
    }
}

async fn answer<W: Write + Send + 'static>(
    req: WrapperRequest,
    shared: Arc<Shared<W>>,
) -> WrapperReply {
    let work = move || match req {
        WrapperRequest::Info => Ok(WrapperReply::Info(shared.registration.clone())),
        WrapperRequest::Screen => {
            let display = shared.display.lock().unwrap_or_else(|e| e.into_inner());
            Ok(WrapperReply::Screen {
                text: display.screen_text(),
            })
        }
        WrapperRequest::Type { text } => shared
            .type_bytes(text.as_bytes())
            .map(|()| WrapperReply::Done),
        WrapperRequest::Key { key } => shared.type_bytes(key.bytes()).map(|()| WrapperReply::Done),
        WrapperRequest::Plan { plan } => {
            let title = plan.title(&chrono::Local);
            let mut display = shared.display.lock().unwrap_or_else(|e| e.into_inner());
            display.set_title(title).map(|()| WrapperReply::Done)
        }
    };
    // Terminal writes may block while the agent does not read.
    match crate::tasks::spawn_blocking(work).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(e)) => WrapperReply::Error {
            message: format!("writing to the agent's terminal: {e}"),
        },
        Err(e) => WrapperReply::Error {
            message: e.to_string(),
        },
    }
}

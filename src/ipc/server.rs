//! Server side of the socket: accept connections, handshake, hand requests to the engine.

use std::future::Future;
use std::sync::Arc;

use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

use super::{Connection, FrameError};
use crate::protocol::{ErrorCode, HelloReply, PROTOCOL_VERSION, Request, Response};

/// Whatever answers requests (the engine handle in the daemon, a stub in tests).
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, req: Request) -> impl Future<Output = Response> + Send;
}

/// Accept connections until `shutdown`, serving each on its own task tracked by `tracker`.
pub async fn serve<H: Handler>(
    listener: UnixListener,
    handler: Arc<H>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let handler = handler.clone();
                    let shutdown = shutdown.clone();
                    tracker.spawn(serve_connection(stream, handler, shutdown));
                }
                Err(e) => {
                    warn!(error = %e, "accepting a control connection failed");
                    // Avoid a hot loop when the process is out of descriptors.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// Serve one connection. Shutdown ends it only between requests, so a request being answered (including
/// `shutdown` itself) still gets its reply.
async fn serve_connection<H: Handler>(
    stream: UnixStream,
    handler: Arc<H>,
    shutdown: CancellationToken,
) {
    let mut conn = Connection::new(stream);
    let mut greeted = false;
    loop {
        let received = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = conn.recv::<Request>() => r,
        };
        let reply = match received {
            Ok(None) => return,
            Ok(Some(Request::Hello(hello))) => {
                greeted = true;
                debug!(client = %hello.client, version = hello.version, "control client connected");
                Response::Hello(HelloReply {
                    version: PROTOCOL_VERSION,
                    daemon_version: env!("CARGO_PKG_VERSION").to_string(),
                    pid: std::process::id(),
                })
            }
            Ok(Some(_)) if !greeted => Response::error(
                ErrorCode::HandshakeRequired,
                "send a hello first (protocol handshake)",
            ),
            Ok(Some(req)) => handler.handle(req).await,
            Err(FrameError::Malformed(e)) => Response::error(
                ErrorCode::BadRequest,
                format!("malformed or unknown request: {e}"),
            ),
            Err(FrameError::TooLarge) => {
                let _ = conn
                    .send(&Response::error(
                        ErrorCode::FrameTooLarge,
                        format!(
                            "frame exceeds {} bytes; closing",
                            crate::protocol::MAX_FRAME_BYTES
                        ),
                    ))
                    .await;
                return;
            }
            Err(e) => {
                debug!(error = %e, "control connection ended");
                return;
            }
        };
        if conn.send(&reply).await.is_err() {
            return;
        }
    }
}

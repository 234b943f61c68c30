//! Server side of the socket: accept connections, handshake, hand requests to the engine.
//!
//! Only clients of the daemon's own user are served (the peer's uid, besides the socket's 0600 mode). At
//! most [`MAX_CONNECTIONS`] at once: a newcomer evicts the oldest connection that has not said hello. A
//! client must say hello within [`HANDSHAKE_TIMEOUT`] and is dropped after [`IDLE_TIMEOUT`] without a
//! request, so idle clients cannot pin the daemon's file descriptors.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

use super::slots::{MAX_CONNECTIONS, Slot, Slots};
use super::{Connection, FrameError};
use crate::protocol::{
    ErrorCode, HelloReply, MAX_FRAME_BYTES, MAX_REPLY_BYTES, PROTOCOL_VERSION, Request, Response,
};

/// Whatever answers requests (the engine handle in the daemon, a stub in tests).
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, req: Request) -> impl Future<Output = Response> + Send;
}

/// Time a new client has to say hello.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a greeted client may stay silent between requests.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Accept connections until `shutdown`, serving each on its own task tracked by `tracker`.
pub async fn serve<H: Handler>(
    listener: UnixListener,
    handler: Arc<H>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    let slots = Slots::new(MAX_CONNECTIONS);
    let me = nix::unistd::geteuid().as_raw();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let peer = stream.peer_cred().ok().map(|c| c.uid());
                    if !admits_peer(peer, me) {
                        debug!(?peer, "refused a control connection from another user");
                        continue;
                    }
                    let Some(slot) = slots.admit() else {
                        crate::tasks::spawn_tracked(&tracker, refuse_busy(stream));
                        continue;
                    };
                    let handler = handler.clone();
                    let shutdown = shutdown.clone();
                    crate::tasks::spawn_tracked(&tracker, serve_connection(stream, slot, handler, shutdown));
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

/// Whether a client whose uid the kernel reports as `peer` (`SO_PEERCRED`; `None` when it could not say)
/// may talk to a daemon running as `me`: only the same user, never an unknown one. The socket's 0600 mode in
/// a 0700 directory says the same; this holds even where those modes were loosened.
pub fn admits_peer(peer: Option<u32>, me: u32) -> bool {
    peer == Some(me)
}

/// Serve one connection. Shutdown ends it only between requests, so a request being answered (including
/// `shutdown` itself) still gets its reply.
async fn serve_connection<H: Handler>(
    stream: UnixStream,
    slot: Slot,
    handler: Arc<H>,
    shutdown: CancellationToken,
) {
    let mut conn = Connection::with_limits(stream, MAX_FRAME_BYTES, MAX_REPLY_BYTES);
    let mut greeted = false;
    loop {
        let patience = if greeted {
            IDLE_TIMEOUT
        } else {
            HANDSHAKE_TIMEOUT
        };
        let received = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = slot.evicted.cancelled() => {
                debug!("a silent control connection made room for a new one");
                return;
            }
            r = tokio::time::timeout(patience, conn.recv::<Request>()) => match r {
                Ok(r) => r,
                Err(_) => {
                    debug!(?patience, greeted, "control connection idle; closing");
                    return;
                }
            },
        };
        let reply = match received {
            Ok(None) => return,
            Ok(Some(Request::Hello(hello))) => {
                greeted = true;
                slot.greeted();
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
                        format!("frame exceeds {} bytes; closing", MAX_FRAME_BYTES),
                    ))
                    .await;
                return;
            }
            Err(e) => {
                debug!(error = %e, "control connection ended");
                return;
            }
        };
        match conn.send(&reply).await {
            Ok(()) => {}
            Err(FrameError::TooLarge) => {
                // Never drop a reply silently: say why there is none.
                warn!("a reply exceeded the frame limit; sending an error instead");
                let too_large = Response::error(
                    ErrorCode::FrameTooLarge,
                    format!("the reply exceeds the {MAX_REPLY_BYTES}-byte frame limit"),
                );
                if conn.send(&too_large).await.is_err() {
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

/// Every place is taken by a greeted client: say so and close.
async fn refuse_busy(stream: UnixStream) {
    let mut conn = Connection::new(stream);
    let busy = Response::error(
        ErrorCode::Internal,
        format!("the daemon already serves {MAX_CONNECTIONS} control connections; try again"),
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), conn.send(&busy)).await;
}

#[cfg(test)]
mod tests {
    use super::admits_peer;

    #[test]
    fn only_the_daemons_own_user_is_admitted() {
        assert!(admits_peer(Some(1000), 1000));
        assert!(!admits_peer(Some(1001), 1000), "a foreign uid");
        assert!(!admits_peer(Some(0), 1000), "root is another user too");
        assert!(
            !admits_peer(None, 1000),
            "a peer the kernel cannot name is refused"
        );
    }
}

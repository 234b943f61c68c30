//! Client side of the socket: connect, handshake, request.

use std::path::{Path, PathBuf};

use tokio::net::UnixStream;

use super::{Connection, FrameError};
use crate::protocol::{Hello, PROTOCOL_VERSION, Request, Response};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "the palingenesis daemon is not running (no answer on {}).\n  start it with: palingenesis daemon start",
        socket.display()
    )]
    NotRunning { socket: PathBuf },
    #[error(
        "the running daemon (version {daemon_version}, protocol {daemon_protocol}) differs from this client (version {}, protocol {PROTOCOL_VERSION}).\n  restart it with: palingenesis daemon restart",
        env!("CARGO_PKG_VERSION")
    )]
    VersionMismatch {
        daemon_version: String,
        daemon_protocol: u32,
        daemon_pid: u32,
    },
    #[error("talking to the daemon failed: {0}")]
    Frame(#[from] FrameError),
    #[error("the daemon closed the connection without answering")]
    Closed,
    #[error("unexpected answer from the daemon: {0}")]
    Unexpected(String),
}

/// A handshaken connection to a daemon of the same protocol version.
pub struct Client {
    conn: Connection,
    pub daemon_pid: u32,
    pub daemon_version: String,
}

impl Client {
    /// Connect and handshake. Distinguishes "not running" from "version differs".
    pub async fn connect(socket: &Path, client_name: &str) -> Result<Client, ClientError> {
        let stream = UnixStream::connect(socket)
            .await
            .map_err(|_| ClientError::NotRunning {
                socket: socket.to_path_buf(),
            })?;
        let mut conn = Connection::with_limits(
            stream,
            crate::protocol::MAX_REPLY_BYTES,
            crate::protocol::MAX_FRAME_BYTES,
        );
        conn.send(&Request::Hello(Hello {
            version: PROTOCOL_VERSION,
            client: client_name.to_string(),
        }))
        .await?;
        match conn.recv::<Response>().await? {
            Some(Response::Hello(h)) if h.version == PROTOCOL_VERSION => Ok(Client {
                conn,
                daemon_pid: h.pid,
                daemon_version: h.daemon_version,
            }),
            Some(Response::Hello(h)) => Err(ClientError::VersionMismatch {
                daemon_version: h.daemon_version,
                daemon_protocol: h.version,
                daemon_pid: h.pid,
            }),
            Some(other) => Err(ClientError::Unexpected(format!("{other:?}"))),
            None => Err(ClientError::Closed),
        }
    }

    pub async fn request(&mut self, req: &Request) -> Result<Response, ClientError> {
        self.conn.send(req).await?;
        self.conn
            .recv::<Response>()
            .await?
            .ok_or(ClientError::Closed)
    }
}

/// Connect, send one request, return the answer.
pub async fn request_once(socket: &Path, req: &Request) -> Result<Response, ClientError> {
    let mut client = Client::connect(socket, concat!("cli ", env!("CARGO_PKG_VERSION"))).await?;
    client.request(req).await
}

//! The Unix-socket transport of the control protocol: length-prefixed JSON frames with a size cap.

pub mod client;
pub mod server;
pub mod slots;

use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

use crate::protocol::MAX_FRAME_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
    #[error("frame larger than the limit of this link")]
    TooLarge,
    #[error("malformed message: {0}")]
    Malformed(#[source] serde_json::Error),
}

/// One framed connection, usable from either side, with a size limit for each direction.
pub struct Connection {
    reader: FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
    writer: FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>,
    send_max: usize,
}

impl Connection {
    /// [`MAX_FRAME_BYTES`] both ways.
    pub fn new(stream: UnixStream) -> Connection {
        Connection::with_limits(stream, MAX_FRAME_BYTES, MAX_FRAME_BYTES)
    }

    /// Frames up to `recv_max` bytes in, `send_max` bytes out.
    pub fn with_limits(stream: UnixStream, recv_max: usize, send_max: usize) -> Connection {
        let codec = |max| {
            LengthDelimitedCodec::builder()
                .max_frame_length(max)
                .new_codec()
        };
        let (r, w) = stream.into_split();
        Connection {
            reader: FramedRead::new(r, codec(recv_max)),
            writer: FramedWrite::new(w, codec(send_max)),
            send_max,
        }
    }

    pub async fn send<T: Serialize>(&mut self, msg: &T) -> Result<(), FrameError> {
        let bytes = serde_json::to_vec(msg).map_err(FrameError::Malformed)?;
        if bytes.len() > self.send_max {
            return Err(FrameError::TooLarge);
        }
        self.writer.send(bytes::Bytes::from(bytes)).await?;
        Ok(())
    }

    /// The next message; `Ok(None)` at a clean end of stream. A frame that does not decode as `T` is
    /// [`FrameError::Malformed`] and leaves the connection usable; an oversized one is [`FrameError::TooLarge`]
    /// and the connection must be closed (the stream position is lost).
    pub async fn recv<T: DeserializeOwned>(&mut self) -> Result<Option<T>, FrameError> {
        match self.reader.next().await {
            None => Ok(None),
            Some(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                Err(FrameError::TooLarge)
            }
            Some(Err(e)) => Err(FrameError::Io(e)),
            Some(Ok(bytes)) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(FrameError::Malformed),
        }
    }
}

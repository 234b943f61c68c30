//! The Unix-socket transport of the control protocol: length-prefixed JSON frames with a size cap.

pub mod client;
pub mod server;
pub mod slots;

use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::UnixStream;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use crate::protocol::MAX_FRAME_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
    #[error("frame larger than {MAX_FRAME_BYTES} bytes")]
    TooLarge,
    #[error("malformed message: {0}")]
    Malformed(#[source] serde_json::Error),
}

/// One framed connection, usable from either side.
pub struct Connection {
    framed: Framed<UnixStream, LengthDelimitedCodec>,
}

impl Connection {
    pub fn new(stream: UnixStream) -> Connection {
        let codec = LengthDelimitedCodec::builder()
            .max_frame_length(MAX_FRAME_BYTES)
            .new_codec();
        Connection {
            framed: Framed::new(stream, codec),
        }
    }

    pub async fn send<T: Serialize>(&mut self, msg: &T) -> Result<(), FrameError> {
        let bytes = serde_json::to_vec(msg).map_err(FrameError::Malformed)?;
        if bytes.len() > MAX_FRAME_BYTES {
            return Err(FrameError::TooLarge);
        }
        self.framed.send(bytes::Bytes::from(bytes)).await?;
        Ok(())
    }

    /// The next message; `Ok(None)` at a clean end of stream. A frame that does not decode as `T` is
    /// [`FrameError::Malformed`] and leaves the connection usable; an oversized one is [`FrameError::TooLarge`]
    /// and the connection must be closed (the stream position is lost).
    pub async fn recv<T: DeserializeOwned>(&mut self) -> Result<Option<T>, FrameError> {
        match self.framed.next().await {
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

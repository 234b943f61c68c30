//! The engine's handle: how control surfaces and sources reach the one task that owns state.

use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::EngineMsg;
use crate::model::SourceTx;
use crate::protocol::{ErrorCode, Request, Response};

/// Who carries out a reload for the daemon (re-reads the file, rebuilds what depends on it, hands the engine
/// its new config through [`EngineMsg::Reconfigure`]) and answers the request. Without one the engine
/// re-reads the file itself.
pub type Reloader = Arc<dyn Fn() -> BoxFuture<'static, Response> + Send + Sync>;

/// Cloneable handle the control surfaces and sources use.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<EngineMsg>,
    sources: SourceTx,
    reloader: Option<Reloader>,
}

impl std::fmt::Debug for EngineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHandle")
            .field("tx", &self.tx)
            .field("reloader", &self.reloader.is_some())
            .finish()
    }
}

impl EngineHandle {
    pub(super) fn new(tx: mpsc::Sender<EngineMsg>, sources: SourceTx) -> Self {
        EngineHandle {
            tx,
            sources,
            reloader: None,
        }
    }

    /// Let `reloader` answer every reload requested through this handle (or its clones made later).
    pub fn with_reloader(mut self, reloader: Reloader) -> Self {
        self.reloader = Some(reloader);
        self
    }

    pub async fn request(&self, req: Request) -> Response {
        match (&req, &self.reloader) {
            (Request::Reload, Some(reloader)) => reloader().await,
            _ => self.ask(req).await,
        }
    }

    /// Give the engine a new configuration and the resumers built from it; returns once it has them.
    pub async fn reconfigure(
        &self,
        config: crate::config::Config,
        resumers: crate::resume::Resumers,
    ) {
        let (reply, rx) = oneshot::channel();
        let msg = EngineMsg::Reconfigure {
            new: Box::new(super::Reconfiguration { config, resumers }),
            reply,
        };
        if self.tx.send(msg).await.is_ok() {
            let _ = rx.await;
        }
    }

    async fn ask(&self, req: Request) -> Response {
        let gone = || Response::error(ErrorCode::Internal, "the daemon is shutting down");
        let (reply, rx) = oneshot::channel();
        if self
            .tx
            .send(EngineMsg::Control { req, reply })
            .await
            .is_err()
        {
            return gone();
        }
        rx.await.unwrap_or_else(|_| gone())
    }

    pub fn sender(&self) -> mpsc::Sender<EngineMsg> {
        self.tx.clone()
    }

    /// Where sources send what they see.
    pub fn source_sender(&self) -> SourceTx {
        self.sources.clone()
    }
}

impl crate::ipc::server::Handler for EngineHandle {
    async fn handle(&self, req: Request) -> Response {
        self.request(req).await
    }
}

//! The engine's handle: how control surfaces and sources reach the one task that owns state.

use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::EngineMsg;
use crate::model::SourceTx;
use crate::protocol::{ErrorCode, Request, Response};

/// Work done after a successful reload, before its reply goes back (e.g. the HTTP API taking a new token),
/// so that whoever asked for the reload sees its effect at once.
pub type ReloadHook = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// Cloneable handle the control surfaces and sources use.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<EngineMsg>,
    sources: SourceTx,
    after_reload: Option<ReloadHook>,
}

impl std::fmt::Debug for EngineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHandle")
            .field("tx", &self.tx)
            .field("after_reload", &self.after_reload.is_some())
            .finish()
    }
}

impl EngineHandle {
    pub(super) fn new(tx: mpsc::Sender<EngineMsg>, sources: SourceTx) -> Self {
        EngineHandle {
            tx,
            sources,
            after_reload: None,
        }
    }

    /// Run `hook` after every successful reload requested through this handle (or its clones made later).
    pub fn with_reload_hook(mut self, hook: ReloadHook) -> Self {
        self.after_reload = Some(hook);
        self
    }

    pub async fn request(&self, req: Request) -> Response {
        let reload = matches!(req, Request::Reload);
        let resp = self.ask(req).await;
        if reload
            && !matches!(resp, Response::Error(_))
            && let Some(hook) = &self.after_reload
        {
            hook().await;
        }
        resp
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

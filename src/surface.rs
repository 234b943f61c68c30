//! What every control surface of the daemon (socket, HTTP) talks to: the engine, with the answers it cannot
//! know by itself filled in (the saves figures, kept from the audit trail outside the engine).

use crate::engine::EngineHandle;
use crate::journal::Journal;
use crate::protocol::{Request, Response};
use crate::saves::SavesHandle;

/// The engine plus the daemon's side books. Cheap to clone.
#[derive(Clone)]
pub struct Surface {
    pub engine: EngineHandle,
    pub saves: SavesHandle,
    /// Flushed before every answer, so that what an answer reports is already in the trail (a user who
    /// runs `palingenesis abort X && palingenesis events` sees the cancellation).
    pub trail: Journal,
    /// Where hooks spool their payloads ([`crate::hookspool`]).
    pub spool: std::path::PathBuf,
}

impl Surface {
    /// Answer `req` as the protocol says.
    pub async fn request(&self, req: Request) -> Response {
        let resp = self.answer(req).await;
        // The engine queued its events before it answered, so this waits for exactly those.
        self.trail.settle().await;
        resp
    }

    async fn answer(&self, req: Request) -> Response {
        let req = match req {
            Request::Hook(fwd) => match crate::hookspool::take(&self.spool, fwd).await {
                Some(fwd) => Request::Hook(fwd),
                None => return Response::done("hook already received"),
            },
            other => other,
        };
        match self.engine.request(req).await {
            Response::Status(mut status) => {
                self.saves.replayed().await;
                status.saves = self.saves.report(chrono::Utc::now());
                Response::Status(status)
            }
            other => other,
        }
    }
}

impl crate::ipc::server::Handler for Surface {
    async fn handle(&self, req: Request) -> Response {
        self.request(req).await
    }
}

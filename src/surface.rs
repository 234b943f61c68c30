//! What every control surface of the daemon (socket, HTTP) talks to: the engine, with the answers it cannot
//! know by itself filled in (the saves figures, kept from the audit trail outside the engine).

use crate::engine::EngineHandle;
use crate::protocol::{Request, Response};
use crate::saves::SavesHandle;

/// The engine plus the daemon's side books. Cheap to clone.
#[derive(Clone)]
pub struct Surface {
    pub engine: EngineHandle,
    pub saves: SavesHandle,
}

impl Surface {
    /// Answer `req` as the protocol says.
    pub async fn request(&self, req: Request) -> Response {
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

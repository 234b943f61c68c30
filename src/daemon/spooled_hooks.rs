//! Hooks that never reached the socket (killed by their agent on the way, or run while no daemon was up)
//! are handled from their spooled copies ([`crate::hookspool`]): at start-up and whenever a hook spools one,
//! after a grace period in which a live hook delivers its own.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::protocol::Request;
use crate::surface::Surface;

/// How long a spooled payload is left to its hook before the daemon takes it.
const GRACE: Duration = Duration::from_secs(3);

pub async fn run(dir: PathBuf, surface: Surface, stop: CancellationToken) {
    let (tx, mut wake) = mpsc::channel(1);
    let _watcher = crate::hookspool::watch(&dir, tx.clone());
    // What was left before this daemon started.
    let _ = tx.try_send(());
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            woke = wake.recv() => if woke.is_none() { return },
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(GRACE) => {}
        }
        for fwd in crate::hookspool::sweep(&dir, GRACE).await {
            tracing::info!(
                assistant = %fwd.assistant,
                "a hook that never reached the daemon is handled from its spooled copy"
            );
            let resp = surface.request(Request::Hook(fwd)).await;
            tracing::debug!(?resp, "spooled hook handled");
        }
    }
}

//! Spawning tasks through one type-erased shape, so the executable carries tokio's task machinery once per
//! output type instead of once per call site.
//!
//! tokio builds a task's glue (its `poll`, `complete`, `try_read_output`, `dealloc`, join-handle and
//! cancellation paths) for each distinct future or closure type it is given. Every `async` block and closure is
//! a type of its own, so each of the crate's ~100 spawn sites added its own copy of that glue. These helpers
//! box the future or closure first: tokio then sees `Pin<Box<dyn Future<Output = T> + Send>>` (glue once per
//! output type `T`; nearly every task returns `()`), and blocking work is boxed with its output erased too
//! (`Box<dyn Any + Send>`, one copy of the glue for all of it; [`Blocking`] gives the typed output back).
//!
//! Measured on the stripped release executable (issue 18): 11,094,168 bytes before, 10,759,608 after
//! (-327 KB); copies of tokio's `raw::poll` went from 158 to 41, of `Harness::complete` from 149 to 37 (those
//! left are dependencies' own spawns and tokio's `fs` and `process` internals).
//!
//! The cost is one or two small allocations per spawn, and spawns here happen per request, per stop or per
//! watcher step, never per line read. Behaviour is tokio's own: the work starts at once, cancellation is the
//! same, and a panic in the task still comes back as a [`JoinError`].
//!
//! Code in `src/` spawns through these helpers, never through `tokio::spawn`, `tokio::task::spawn_blocking`,
//! `Handle::spawn` or `TaskTracker::spawn` directly (tests may).

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::runtime::Handle;
use tokio::task::{JoinError, JoinHandle};
use tokio_util::task::TaskTracker;

/// A future whose concrete type is erased: what every helper here hands to tokio.
type BoxTask<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A blocking closure whose concrete type is erased.
type BoxBlocking<T> = Box<dyn FnOnce() -> T + Send + 'static>;

/// `tokio::spawn`, with the future boxed.
pub fn spawn<T: Send + 'static>(task: impl Future<Output = T> + Send + 'static) -> JoinHandle<T> {
    tokio::spawn(Box::pin(task) as BoxTask<T>)
}

/// `Handle::spawn`: like [`spawn`], on the runtime `on` (e.g. one captured where no runtime is current).
pub fn spawn_on<T: Send + 'static>(
    on: &Handle,
    task: impl Future<Output = T> + Send + 'static,
) -> JoinHandle<T> {
    on.spawn(Box::pin(task) as BoxTask<T>)
}

/// `TaskTracker::spawn`: like [`spawn`], tracked by `tracker` (so shutdown waits for it).
pub fn spawn_tracked<T: Send + 'static>(
    tracker: &TaskTracker,
    task: impl Future<Output = T> + Send + 'static,
) -> JoinHandle<T> {
    tracker.spawn(Box::pin(task) as BoxTask<T>)
}

/// `tokio::task::spawn_blocking`, with the closure boxed and its output too: blocking work returns many
/// different types, and erasing them lets every blocking task share one copy of the glue.
///
/// Like tokio's, the work starts now, whether or not the returned [`Blocking`] is awaited or kept.
pub fn spawn_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Blocking<T> {
    let erased: BoxBlocking<Erased> = Box::new(move || Box::new(work()) as Erased);
    Blocking {
        handle: tokio::task::spawn_blocking(erased),
        output: PhantomData,
    }
}

/// The output of a blocking task, its type erased.
type Erased = Box<dyn Any + Send>;

/// A running [`spawn_blocking`] task: awaiting it gives what a `JoinHandle<T>` gives (the work's output, or a
/// [`JoinError`] if it panicked or the runtime shut down). Dropping it lets the work run on, detached.
pub struct Blocking<T> {
    handle: JoinHandle<Erased>,
    output: PhantomData<fn() -> T>,
}

impl<T: 'static> Future for Blocking<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().handle)
            .poll(cx)
            .map(|done| done.map(unerase))
    }
}

fn unerase<T: 'static>(output: Erased) -> T {
    match output.downcast::<T>() {
        Ok(output) => *output,
        Err(_) => unreachable!("a blocking task returns the type it was spawned with"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_spawned_task_returns_its_output() {
        assert_eq!(spawn(async { 7 }).await.unwrap(), 7);
        assert_eq!(spawn_on(&Handle::current(), async { 8 }).await.unwrap(), 8);
        assert_eq!(spawn_blocking(|| 9).await.unwrap(), 9);
    }

    #[tokio::test]
    async fn a_panic_comes_back_as_a_join_error() {
        let panicked = spawn(async { panic!("boom") }).await.unwrap_err();
        assert!(panicked.is_panic());
        let panicked = spawn_blocking(|| -> () { panic!("boom") })
            .await
            .unwrap_err();
        assert!(panicked.is_panic());
    }

    #[tokio::test]
    async fn blocking_work_runs_on_when_its_handle_is_dropped() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        drop(spawn_blocking(move || tx.send(3)));
        assert_eq!(rx.await.unwrap(), 3);
    }

    #[tokio::test]
    async fn an_aborted_task_is_cancelled() {
        let never = spawn(std::future::pending::<()>());
        never.abort();
        assert!(never.await.unwrap_err().is_cancelled());
    }

    #[tokio::test]
    async fn a_tracked_task_is_waited_for() {
        let tracker = TaskTracker::new();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done = spawn_tracked(&tracker, async move {
            let _ = rx.await;
            5
        });
        tracker.close();
        assert_eq!(tracker.len(), 1);
        tx.send(()).unwrap();
        tracker.wait().await;
        assert!(tracker.is_empty());
        assert_eq!(done.await.unwrap(), 5);
    }
}

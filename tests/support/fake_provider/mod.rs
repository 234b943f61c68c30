//! An in-process fake model provider speaking the four wire protocols the real clients use:
//! Anthropic Messages (Claude Code), OpenAI chat completions (opencode, Qwen Code), OpenAI Responses
//! (Codex CLI) and the Gemini API (Gemini CLI).
//!
//! It runs on its own thread and tokio runtime, so sync and async tests can both use it, and is
//! bound to `127.0.0.1:0`. Model requests take their answer from a script of [`Scripted`] replies
//! (first matching entry wins, consumed as it is used), falling back to a default reply. Every
//! request is recorded for assertions; waiting for requests uses a condvar / watch channel, never
//! fixed sleeps.
//!
//! ```ignore
//! let fake = FakeProvider::start();
//! fake.push(Reply::UsageLimit(UsageLimit::session_in(Duration::from_secs(3600))));
//! // point a client at fake.url() …
//! let reqs = fake.wait_for_requests(1, Duration::from_secs(30));
//! ```

mod anthropic;
mod chat;
mod gemini;
mod openai;
mod render;
mod reply;
mod request;
mod responses;
mod server;
mod turn;

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};

pub use gemini::error_body as gemini_error;
pub use reply::{LimitWindow, Matcher, OPENCODE_TITLE_MARKER, Reply, Scripted, Turn, UsageLimit};
pub use request::{Protocol, RecordedRequest};

/// The text a model request gets when the script has nothing for it.
pub const DEFAULT_TEXT: &str = "Hello from the fake provider.";

/// State shared between the server thread and the test.
pub(crate) struct Shared {
    pub(crate) inner: Mutex<Inner>,
    pub(crate) changed: Condvar,
    pub(crate) count: watch::Sender<usize>,
}

pub(crate) struct Inner {
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) script: VecDeque<Scripted>,
    pub(crate) default: Reply,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide every later assertion behind a poisoned lock.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake provider; stops when dropped.
pub struct FakeProvider {
    shared: Arc<Shared>,
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeProvider {
    /// Binds `127.0.0.1:0` and serves on a dedicated thread.
    pub fn start() -> FakeProvider {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fake provider");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let port = listener.local_addr().expect("local addr").port();
        let (count, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                requests: Vec::new(),
                script: VecDeque::new(),
                default: Reply::text(DEFAULT_TEXT),
            }),
            changed: Condvar::new(),
            count,
        });
        let (stop, stopped) = oneshot::channel();
        let thread = server::spawn(listener, Arc::clone(&shared), stopped);
        FakeProvider {
            shared,
            port,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>` (no trailing slash, no `/v1`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>/v1`, the base URL OpenAI-style clients take.
    pub fn v1_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Appends an entry to the script.
    pub fn push(&self, entry: impl Into<Scripted>) {
        self.shared.lock().script.push_back(entry.into());
    }

    /// Replaces the reply used when no script entry matches.
    pub fn set_default(&self, reply: Reply) {
        self.shared.lock().default = reply;
    }

    /// Drops every script entry not yet used up.
    pub fn clear_script(&self) {
        self.shared.lock().script.clear();
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Requests whose path (query string ignored) is `path`.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path_only() == path)
            .collect()
    }

    /// Model requests (messages, chat completions, responses) so far.
    pub fn model_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.protocol.is_some())
            .collect()
    }

    /// The prompt text of the last model request (see [`RecordedRequest::last_user_text`]).
    pub fn last_user_text(&self) -> Option<String> {
        self.model_requests().last()?.last_user_text()
    }

    /// Blocks until `done` holds for the recorded requests, then returns them. Panics with the
    /// requests seen so far after `timeout`.
    pub fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&[RecordedRequest]) -> bool,
    ) -> Vec<RecordedRequest> {
        let deadline = Instant::now() + timeout;
        let mut inner = self.shared.lock();
        loop {
            if done(&inner.requests) {
                return inner.requests.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "fake provider: timed out after {timeout:?} waiting for {what}; requests seen:\n{}",
                    describe(&inner.requests)
                );
            }
            inner = self
                .shared
                .changed
                .wait_timeout(inner, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Blocks until at least `n` model requests arrived; returns the model requests.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let what = format!("{n} model request(s)");
        self.wait_for(timeout, &what, |reqs| {
            reqs.iter().filter(|r| r.protocol.is_some()).count() >= n
        })
        .into_iter()
        .filter(|r| r.protocol.is_some())
        .collect()
    }

    /// Blocks until at least `n` requests to `path` arrived; returns them.
    pub fn wait_for_requests_to(
        &self,
        path: &str,
        n: usize,
        timeout: Duration,
    ) -> Vec<RecordedRequest> {
        let what = format!("{n} request(s) to {path}");
        self.wait_for(timeout, &what, |reqs| {
            reqs.iter().filter(|r| r.path_only() == path).count() >= n
        })
        .into_iter()
        .filter(|r| r.path_only() == path)
        .collect()
    }

    /// Async form of [`FakeProvider::wait_for`], for tests whose runtime must keep running.
    pub async fn wait_for_async(
        &self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&[RecordedRequest]) -> bool,
    ) -> Vec<RecordedRequest> {
        let mut rx = self.shared.count.subscribe();
        let wait = async {
            loop {
                {
                    let inner = self.shared.lock();
                    if done(&inner.requests) {
                        return inner.requests.clone();
                    }
                }
                if rx.changed().await.is_err() {
                    // The server is gone; nothing more will arrive. Fall through to the timeout.
                    std::future::pending::<()>().await;
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(reqs) => reqs,
            Err(_) => panic!(
                "fake provider: timed out after {timeout:?} waiting for {what}; requests seen:\n{}",
                describe(&self.requests())
            ),
        }
    }

    /// Async form of [`FakeProvider::wait_for_requests`].
    pub async fn wait_for_requests_async(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Vec<RecordedRequest> {
        let what = format!("{n} model request(s)");
        self.wait_for_async(timeout, &what, |reqs| {
            reqs.iter().filter(|r| r.protocol.is_some()).count() >= n
        })
        .await
        .into_iter()
        .filter(|r| r.protocol.is_some())
        .collect()
    }

    /// A listing of the requests so far, one per line, for assertion messages.
    pub fn describe(&self) -> String {
        describe(&self.requests())
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn describe(requests: &[RecordedRequest]) -> String {
    if requests.is_empty() {
        return "  (none)".into();
    }
    requests
        .iter()
        .map(|r| {
            format!(
                "  #{} {} {}{} prompt={:?} -> {}",
                r.seq,
                r.method,
                r.path,
                if r.wants_stream() { " (stream)" } else { "" },
                r.last_user_text()
                    .map(|t| t.chars().take(60).collect::<String>()),
                r.answered
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

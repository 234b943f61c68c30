//! Shared harness for palingenesis's integration tests: a fake model provider speaking all three
//! wire protocols, isolated environments for the real assistant CLIs, and small helpers.
//!
//! Each integration test file includes it with `mod support;` and uses a subset, hence the
//! module-wide `dead_code` / `unused_imports` allowance.
//!
//! The real clients must be installed first: `scripts/install-test-deps.sh`. Typical use:
//!
//! ```ignore
//! let fake = FakeProvider::start();
//! fake.push(Reply::UsageLimit(UsageLimit::session_in(Duration::from_secs(3600))));
//! let claude = clients::claude(&fake.url()).subscription().build();
//! let run = run_with_timeout(claude.print("say hi"), Duration::from_secs(60));
//! let session = run.json()["session_id"].as_str().unwrap().to_owned();
//! let lines = clients::read_jsonl(&claude.transcript_path(&session));
//! ```
//!
//! Codex takes `fake.v1_url()` (`clients::codex(..).build().exec(prompt)`), opencode too
//! (`clients::opencode(..).build().run(prompt)`). What each client does with each reply is in
//! `docs/client-facts.md`.
#![allow(dead_code, unused_imports)]

pub mod clients;
pub mod fake_provider;
pub mod home;
pub mod in_process;
pub mod interactive;
pub mod process;
pub mod pty;
pub mod tmux;
pub mod wait;

pub use fake_provider::{
    FakeProvider, LimitWindow, Protocol, RecordedRequest, Reply, Scripted, UsageLimit,
};
pub use process::{ClientRun, run_with_timeout, try_run_with_timeout};
pub use wait::{free_port, wait_until};

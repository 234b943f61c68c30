//! Shared harness for palingenesis's integration tests: a fake model provider speaking all three
//! wire protocols, isolated environments for the real assistant CLIs, and small helpers.
//!
//! Each integration test file includes it with `mod support;` and uses a subset, hence the
//! module-wide `dead_code` / `unused_imports` allowance.
#![allow(dead_code, unused_imports)]

pub mod clients;
pub mod fake_provider;
pub mod process;
pub mod tmux;
pub mod wait;

pub use fake_provider::{
    FakeProvider, LimitWindow, Protocol, RecordedRequest, Reply, Scripted, UsageLimit,
};
pub use process::{ClientRun, run_with_timeout, try_run_with_timeout};
pub use wait::{free_port, wait_until};

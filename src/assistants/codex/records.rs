//! Codex CLI: rollout files (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<ts>-<thread>.jsonl`) and the
//! `codex exec --json` event stream.

mod exec;
mod rollout;
mod usage;

pub use exec::{ExecEvent, parse_exec_json_line};
pub use rollout::{CodexRolloutState, parse_rollout_line};

#[cfg(test)]
mod tests;

#!/usr/bin/env bash
# Runs every check and test palingenesis has. Installs what the tests need first (idempotent, fast when present).
# Usage: scripts/test.sh            (everything)
#        scripts/test.sh -- ARGS    (extra arguments for `cargo test`)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet
echo "== cargo test"
shift_args=()
if [ "${1:-}" = "--" ]; then shift; shift_args=("$@"); fi
# Benches and examples print figures; they are built (by clippy above), not run here.
cargo test --locked --no-fail-fast --lib --bins --tests "${shift_args[@]}"
# Fuzzing (scripts/fuzz.sh) needs cargo-fuzz and an instrumented build of the whole crate (several minutes
# on 2 cores the first time), so it is opt-in: PALINGENESIS_FUZZ_SECONDS=56 runs each of the 7 targets for
# 8 s (about a minute once built).
fuzz_total="${PALINGENESIS_FUZZ_SECONDS:-0}"
if [ "$fuzz_total" -gt 0 ]; then
    echo "== fuzz (${fuzz_total}s in all)"
    command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
    targets=$(ls fuzz/fuzz_targets | wc -l)
    bash scripts/fuzz.sh $(( fuzz_total / targets ))
fi

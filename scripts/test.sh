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
cargo test --locked --lib --bins --tests "${shift_args[@]}"

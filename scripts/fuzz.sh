#!/usr/bin/env bash
# Fuzzes every parser that reads untrusted input (fuzz/fuzz_targets), each for SECONDS (default 8), with
# cargo-fuzz (libFuzzer) on the stable toolchain (RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z flags; no
# sanitizer). Corpora grow in fuzz/corpus/<target>, crashes land in fuzz/artifacts/<target> and fail the run.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

secs="${1:-8}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O -s none
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== fuzz $t (${secs}s)"
    cargo fuzz run -O -s none "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 -print_final_stats=1 2>&1 \
        | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|.*panicked)' || true
    if compgen -G "artifacts/$t/crash-*" >/dev/null; then
        echo "fuzz: $t crashed; see fuzz/artifacts/$t" >&2
        exit 1
    fi
done

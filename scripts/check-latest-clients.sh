#!/usr/bin/env bash
# Runs the end-to-end suite against the NEWEST published release of every supported assistant client (not the
# pins in tests/clients) and reports, per client and scenario, what passed and what broke.
#
# Usage: scripts/check-latest-clients.sh            (every client)
#        scripts/check-latest-clients.sh claude     (one: claude | codex | opencode | qwen | gemini)
# Needs Node/npm and the registry; installs into a temporary directory, leaves tests/clients alone.
# Exit status: 0 when every scenario passed, 1 otherwise. The report is also written to
# target/latest-clients-report.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

declare -A PACKAGE=( [claude]="@anthropic-ai/claude-code" [codex]="@openai/codex" [opencode]="opencode-ai"
    [qwen]="@qwen-code/qwen-code" [gemini]="@google/gemini-cli" )
declare -A SUITES=(
    [claude]="clients_smoke e2e_claude e2e_interactive"
    [codex]="clients_smoke e2e_codex e2e_interactive_codex"
    [opencode]="clients_smoke e2e_opencode e2e_interactive_opencode"
    [qwen]="e2e_qwen e2e_interactive_qwen"
    [gemini]="e2e_gemini"
)
WANT=("${@:-claude codex opencode qwen gemini}")
read -r -a WANT <<< "${WANT[*]}"

DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT
echo "check-latest-clients: installing the newest releases into $DIR"
( cd "$DIR" && npm init -y >/dev/null \
    && npm install --ignore-scripts --no-audit --no-fund \
        $(for p in "${PACKAGE[@]}"; do printf '%s@latest ' "$p"; done) >/dev/null )

REPORT="$ROOT/target/latest-clients-report.txt"
mkdir -p "$ROOT/target"
: > "$REPORT"
status=0
for client in "${WANT[@]}"; do
    pkg="${PACKAGE[$client]:?unknown client $client}"
    latest="$(node -p "require('$DIR/node_modules/$pkg/package.json').version")"
    pinned="$(node -p "require('$ROOT/tests/clients/package.json').dependencies['$pkg']")"
    echo "== $client: newest $latest (pinned $pinned)" | tee -a "$REPORT"
    args=()
    for suite in ${SUITES[$client]}; do args+=(--test "$suite"); done
    log="$DIR/$client.log"
    if PALINGENESIS_TEST_CLIENTS="$DIR" cargo test --locked --no-fail-fast "${args[@]}" >"$log" 2>&1; then
        :
    else
        status=1
    fi
    # One line per scenario: "ok" or "FAILED", scenarios named after what they prove.
    grep -E '^test .* \.\.\. (ok|FAILED|ignored)$' "$log" | sed 's/^test /  /' | tee -a "$REPORT" || true
    grep -E '^test result:' "$log" | sed 's/^/  /' | tee -a "$REPORT" || true
done
echo "check-latest-clients: report in $REPORT"
exit "$status"

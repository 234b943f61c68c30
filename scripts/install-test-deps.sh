#!/usr/bin/env bash
# Installs what the end-to-end tests need: the pinned real assistant CLIs (tests/clients), tmux, promtool
# (Debian `prometheus`), chromium and sshd (Debian `openssh-server`) for the observability, dashboard and
# remote-host tests, playwright-core (tests/browser) to drive chromium, and the PyPI package
# opentelemetry-proto for the OTLP receiver and the MCP Python SDK (`mcp`) for the MCP client test (pip, only
# when python3 cannot import them).
#
# Idempotent and fast when everything is already there:
#   - `npm ci --ignore-scripts` in tests/clients only when node_modules is missing, when the stamp
#     written after the last install does not match the sha256 of package-lock.json, or when a
#     platform binary the tests run is missing;
#   - `apt-get update` (once) + `apt-get install -y PACKAGES` only for the commands that are missing;
#   - `npm ci` in tests/browser only when its package-lock.json changed since the last install.
# The clients' npm install scripts are not needed: the tests run the native binaries that arrive as
# optional dependencies (see tests/support/clients.rs).
# Needs only Node/npm (and apt-get + root for the Debian packages). Prints what it did; fails loudly.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIENTS="$ROOT/tests/clients"
MODULES="$CLIENTS/node_modules"
STAMP="$MODULES/.palingenesis-install-stamp"

log() { printf 'install-test-deps: %s\n' "$*"; }
die() { printf 'install-test-deps: ERROR: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH"; }

lock_hash() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$CLIENTS/package-lock.json" | cut -d' ' -f1
    else
        shasum -a 256 "$CLIENTS/package-lock.json" | cut -d' ' -f1
    fi
}

# The binaries and entry points the test harness executes (tests/support/clients.rs and
# tests/support/clients/*.rs resolve the same paths).
native_binaries_present() {
    local os arch
    os="$(uname -s)"
    arch="$(uname -m)"
    # Qwen Code is plain JavaScript run by node on PATH (no platform package).
    [ -x "$MODULES/@qwen-code/qwen-code/cli-entry.js" ] || return 1
    # So is Gemini CLI (its bundle; the node-pty it ships is only for its shell tool).
    [ -x "$MODULES/@google/gemini-cli/bundle/gemini.js" ] || return 1
    case "$os/$arch" in
        Linux/x86_64)
            [ -x "$MODULES/@anthropic-ai/claude-code-linux-x64/claude" ] \
                || [ -x "$MODULES/@anthropic-ai/claude-code-linux-x64-musl/claude" ] || return 1
            [ -x "$MODULES/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex" ] || return 1
            [ -x "$MODULES/opencode-linux-x64/bin/opencode" ] \
                || [ -x "$MODULES/opencode-linux-x64-baseline/bin/opencode" ] || return 1
            ;;
        Linux/aarch64)
            [ -x "$MODULES/@anthropic-ai/claude-code-linux-arm64/claude" ] \
                || [ -x "$MODULES/@anthropic-ai/claude-code-linux-arm64-musl/claude" ] || return 1
            [ -x "$MODULES/@openai/codex-linux-arm64/vendor/aarch64-unknown-linux-musl/bin/codex" ] || return 1
            [ -x "$MODULES/opencode-linux-arm64/bin/opencode" ] || return 1
            ;;
        *)
            # Unknown platform: trust the stamp; the harness reports a missing binary clearly.
            ;;
    esac
    return 0
}

install_clients() {
    need node
    need npm
    [ -f "$CLIENTS/package-lock.json" ] || die "missing $CLIENTS/package-lock.json"
    local want reason=""
    want="$(lock_hash)"
    if [ ! -d "$MODULES" ]; then
        reason="node_modules is missing"
    elif [ ! -f "$STAMP" ]; then
        reason="no install stamp"
    elif [ "$(cat "$STAMP")" != "$want" ]; then
        reason="package-lock.json changed since the last install"
    elif ! native_binaries_present; then
        reason="a client's native binary is missing"
    fi
    if [ -z "$reason" ]; then
        log "clients: up to date (package-lock sha256 ${want:0:12})"
        return
    fi
    log "clients: running npm ci --ignore-scripts in tests/clients ($reason)"
    local out
    out="$(mktemp)"
    if ! (cd "$CLIENTS" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$out" 2>&1; then
        if grep -q "can only install packages when your package.json and package-lock.json" "$out"; then
            # npm omits optional platform packages the registry does not serve from the lock it
            # writes, then `npm ci` rejects that same lock as out of sync. Every version involved is
            # pinned exactly (package.json and each client's optionalDependencies), so a plain
            # install from the same lock yields the same tree.
            log "clients: npm ci rejected the lock (optional platform packages absent); using npm install"
            if ! (cd "$CLIENTS" && npm install --ignore-scripts --no-save --no-audit --no-fund --loglevel=error) >"$out" 2>&1; then
                cat "$out" >&2
                rm -f "$out"
                die "npm install failed in $CLIENTS"
            fi
        else
            cat "$out" >&2
            rm -f "$out"
            die "npm ci failed in $CLIENTS"
        fi
    fi
    rm -f "$out"
    native_binaries_present || die "npm ci finished but a client's native binary is missing under $MODULES"
    printf '%s\n' "$want" >"$STAMP"
    log "clients: installed (package-lock sha256 ${want:0:12})"
}

# Debian packages the tests run, as "command package" pairs (or "file package" where the package has no
# command): installed together (one `apt-get update`) only when one of them is missing.
APT_NEEDS=(
    "/usr/share/zoneinfo/Europe/Berlin tzdata"
    "tmux tmux"
    "promtool prometheus"
    "chromium chromium"
    "sshd openssh-server"
)

have() {
    case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] ;;
    esac
}

install_apt_packages() {
    local missing=() pair cmd pkg
    for pair in "${APT_NEEDS[@]}"; do
        read -r cmd pkg <<<"$pair"
        if have "$cmd"; then
            log "$cmd: present"
        else
            missing+=("$pkg")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and apt-get is not available: install them by hand"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}; need root or sudo to apt-get install them"
        sudo="sudo"
    fi
    log "missing ${missing[*]}: running apt-get update + apt-get install -y ${missing[*]}"
    local out
    out="$(mktemp)"
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$out" 2>&1; then
        cat "$out" >&2
        rm -f "$out"
        die "apt-get could not install ${missing[*]}"
    fi
    rm -f "$out"
    for pair in "${APT_NEEDS[@]}"; do
        read -r cmd pkg <<<"$pair"
        have "$cmd" || die "apt-get install finished but $cmd (package $pkg) is still missing"
    done
    log "installed ${missing[*]}"
}

# playwright-core for the dashboard test (tests/browser); it drives the system chromium and never downloads a
# browser. Reinstalled only when package-lock.json changed.
install_browser_driver() {
    local dir="$ROOT/tests/browser" stamp want
    stamp="$dir/node_modules/.palingenesis-install-stamp"
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules/playwright-core" ]; then
        log "browser driver: up to date"
        return
    fi
    log "browser driver: npm ci in tests/browser"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
        || die "npm ci failed in $dir"
    printf '%s\n' "$want" >"$stamp"
}

# A PyPI package the tests import, into the python3 on PATH when pip may install there, else into a venv (which
# the tests prefer when present). Usage: install_python_package LABEL SPEC VENV_DIR IMPORT_STATEMENT
install_python_package() {
    local label="$1" spec="$2" venv="$3" import="$4" rel="${3#"$ROOT"/}"
    if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c "$import" >/dev/null 2>&1; then
        log "$label: present ($rel)"
        return
    fi
    if python3 -c "$import" >/dev/null 2>&1; then
        log "$label: present"
        return
    fi
    need python3
    log "$label: missing, running pip install $spec"
    if ! python3 -m pip install --quiet --disable-pip-version-check "$spec" >/dev/null 2>&1; then
        log "$label: pip may not install into python3 here; using a venv in $rel"
        python3 -m venv "$venv" || die "python3 -m venv failed (install python3-venv)"
        "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "$spec" \
            || die "pip could not install $spec"
        "$venv/bin/python3" -c "$import" || die "$rel cannot import $label"
        return
    fi
    python3 -c "$import" || die "pip installed $spec but python3 cannot import it"
}

install_clients
install_apt_packages
install_browser_driver
# The official OpenTelemetry protobuf definitions, for the OTLP receiver in tests/otlp/receiver.py.
install_python_package opentelemetry-proto "opentelemetry-proto==1.45.2" "$ROOT/tests/otlp/.venv" \
    "import opentelemetry.proto.collector.trace.v1.trace_service_pb2"
# The official MCP Python SDK, the real MCP client of tests/mcp_sdk/client.py.
install_python_package "mcp (Python SDK)" "mcp==2.3.0" "$ROOT/tests/mcp_sdk/.venv" \
    "from mcp.client.stdio import stdio_client"

#!/usr/bin/env bash
# Demo: crawl a throwaway local registry that holds nuccrawl's generated sample set.
#
#   scripts/demo.sh [OUTPUT_DIR]        (default ./demo-output, or $DEMO_OUTPUT)
#
# Builds nuccrawl, starts a Distribution registry on 127.0.0.1 (random free port, storage in
# a temporary directory), pushes the samples, crawls every repository into assets.json,
# assets.xml and assets.csv, validates each file, and always stops the registry it started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-${DEMO_OUTPUT:-./demo-output}}"
# Seconds to wait for the registry to start and the samples to be pushed.
READY_TIMEOUT_S=120

if ! command -v "${NUCCRAWL_REGISTRY_BIN:-docker-registry}" >/dev/null 2>&1; then
    echo "demo: the Distribution registry (docker-registry) is not installed. Install it with:" >&2
    echo "    sudo apt-get install -y docker-registry" >&2
    exit 1
fi

echo "demo: building nuccrawl (release)…" >&2
(cd "$ROOT" && cargo build --release --quiet -p nuccrawl --bin nuccrawl \
    && cargo build --release --quiet -p nuccrawl-testkit --bin nuccrawl-sample-registry)
BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"

STATE="$(mktemp -d "${TMPDIR:-/tmp}/nuccrawl-demo.XXXXXX")"
SERVE_PID=""

cleanup() {
    # Closing fd 3 closes the helper's stdin: it stops its registry and exits.
    exec 3>&- || true
    if [[ -n "$SERVE_PID" ]]; then
        for _ in $(seq 1 50); do
            kill -0 "$SERVE_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVE_PID" 2>/dev/null; then
            kill "$SERVE_PID" 2>/dev/null || true
            # The helper did not stop its registry: stop that one PID ourselves.
            if [[ -s "$STATE/registry-pid" ]]; then
                reg_pid="$(cat "$STATE/registry-pid")"
                if grep -q docker-registry "/proc/$reg_pid/cmdline" 2>/dev/null; then
                    kill "$reg_pid" 2>/dev/null || true
                fi
            fi
        fi
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    rm -rf "$STATE"
}
trap cleanup EXIT
# Turn INT/TERM into an ordinary exit so the EXIT trap always stops the registry.
trap 'exit 130' INT TERM

mkfifo "$STATE/ctl"
"$BIN_DIR/nuccrawl-sample-registry" serve --state-dir "$STATE" <"$STATE/ctl" &
SERVE_PID=$!
exec 3>"$STATE/ctl"

for _ in $(seq 1 $((READY_TIMEOUT_S * 10))); do
    [[ -s "$STATE/addr" ]] && break
    if ! kill -0 "$SERVE_PID" 2>/dev/null; then
        echo "demo: the sample registry failed to start (see the messages above)" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ ! -s "$STATE/addr" ]]; then
    echo "demo: the sample registry was not ready after ${READY_TIMEOUT_S}s" >&2
    exit 1
fi
ADDR="$(cat "$STATE/addr")"
echo "demo: sample registry at $ADDR" >&2

mkdir -p "$OUT"
for ext in json xml csv; do
    file="$OUT/assets.$ext"
    "$BIN_DIR/nuccrawl" "$ADDR/**" -o "$file"
    if [[ ! -s "$file" ]]; then
        echo "demo: nuccrawl wrote no $file" >&2
        exit 1
    fi
    "$BIN_DIR/nuccrawl" validate "$file"
done

echo "demo: wrote and validated:" >&2
for ext in json xml csv; do
    echo "    $(cd "$OUT" && pwd)/assets.$ext" >&2
done

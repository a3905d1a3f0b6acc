#!/usr/bin/env bash
# Benchmark: nuccrawl (cold cache, warm cache) against a skopeo loop, behind a latency proxy.
#
#   scripts/bench.sh [--tags N] [--tags-per-repo M] [--tags-per-image K] [--delay-ms D]
#                    [--concurrency C] [--baseline-sample S] [--no-baseline]
#
# Run by hand, not in CI. Builds release binaries, starts a Distribution registry on
# 127.0.0.1 holding N generated tags (N/M repositories of M tags, K tags per image, every
# 10th image a two-platform index), puts nuccrawl's own latency proxy (D ms per request)
# in front of it, and runs in one go:
#   1. nuccrawl, cold cache (fresh --cache-dir)       2. nuccrawl, warm cache (same dir)
#   3. nuccrawl --no-bodies --no-cache, for peak RSS  4. the skopeo loop a user would write:
#      `skopeo list-tags` per repository, `skopeo inspect --raw` and
#      `skopeo inspect --config --raw` per tag. With --baseline-sample S only S tags are
#      inspected and the time is extrapolated linearly (the output says so).
# Prints wall time, requests by kind (nuccrawl's --report and the proxy's own count),
# peak RSS, the floor (minimum requests × delay / concurrency) and the target ratios.
# Defaults: 1000 tags, 100 per repository, 4 per image, 20 ms, concurrency 16, baseline
# on every tag.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TAGS=1000 PER_REPO=100 PER_IMAGE=4 DELAY_MS=20 CONCURRENCY=16 SAMPLE="" BASELINE=1
# Seconds to wait for the registry to start and the bulk content to be pushed.
READY_TIMEOUT_S=1800

while [[ $# -gt 0 ]]; do
    case "$1" in
        --tags) TAGS="$2"; shift 2 ;;
        --tags-per-repo) PER_REPO="$2"; shift 2 ;;
        --tags-per-image) PER_IMAGE="$2"; shift 2 ;;
        --delay-ms) DELAY_MS="$2"; shift 2 ;;
        --concurrency) CONCURRENCY="$2"; shift 2 ;;
        --baseline-sample) SAMPLE="$2"; shift 2 ;;
        --no-baseline) BASELINE=0; shift ;;
        *) sed -n '2,20p' "$0" >&2; exit 1 ;;
    esac
done
REPOS=$(( (TAGS + PER_REPO - 1) / PER_REPO ))

for tool in docker-registry python3 /usr/bin/time; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench: $tool is missing (Debian: apt-get install docker-registry python3 time)" >&2
        exit 1
    fi
done
if [[ "$BASELINE" -eq 1 ]] && ! command -v skopeo >/dev/null 2>&1; then
    echo "bench: skopeo is missing (apt-get install skopeo), or pass --no-baseline" >&2
    exit 1
fi

echo "bench: building release binaries…" >&2
(cd "$ROOT" && cargo build --release --quiet -p nuccrawl --bin nuccrawl \
    && cargo build --release --quiet -p nuccrawl-testkit --bin nuccrawl-sample-registry)
BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"

STATE="$(mktemp -d "${TMPDIR:-/tmp}/nuccrawl-bench.XXXXXX")"
SERVE_PID=""
cleanup() {
    # Closing fd 3 closes the helper's stdin: it stops its registry and exits.
    exec 3>&- || true
    if [[ -n "$SERVE_PID" ]]; then
        for _ in $(seq 1 50); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkfifo "$STATE/ctl"
"$BIN_DIR/nuccrawl-sample-registry" bulk --state-dir "$STATE" --repos "$REPOS" \
    --tags-per-repo "$PER_REPO" --tags-per-image "$PER_IMAGE" --delay-ms "$DELAY_MS" \
    <"$STATE/ctl" &
SERVE_PID=$!
exec 3>"$STATE/ctl"
for _ in $(seq 1 $((READY_TIMEOUT_S * 10))); do
    [[ -s "$STATE/addr" ]] && break
    kill -0 "$SERVE_PID" 2>/dev/null || { echo "bench: the registry failed" >&2; exit 1; }
    sleep 0.1
done
PROXY="$(cat "$STATE/proxy-addr")"

# Snapshot of the proxy's counts, once the writer has caught up.
counts() { sleep 0.3; cp "$STATE/proxy-counts.json" "$STATE/$1.counts.json"; }

# run NAME ARGS…: times nuccrawl, keeps its report and peak RSS.
run() {
    local name="$1"; shift
    counts "$name.before"
    /usr/bin/time -f "%e %M" -o "$STATE/$name.time" \
        "$BIN_DIR/nuccrawl" "$PROXY/**" -q --concurrency "$CONCURRENCY" \
        --report "$STATE/$name.report.json" "$@"
    counts "$name.after"
}
echo "bench: nuccrawl, cold cache…" >&2
run cold -o "$STATE/cold.json" --cache-dir "$STATE/cache"
echo "bench: nuccrawl, warm cache…" >&2
run warm -o "$STATE/warm.json" --cache-dir "$STATE/cache"
cmp -s "$STATE/cold.json" "$STATE/warm.json" || { echo "bench: warm output differs!" >&2; exit 1; }
echo "bench: nuccrawl --no-bodies --no-cache, for peak RSS…" >&2
run lean -o "$STATE/lean.json" --no-bodies --no-cache

if [[ "$BASELINE" -eq 1 ]]; then
    echo "bench: skopeo loop${SAMPLE:+ (inspecting $SAMPLE sampled tags)}…" >&2
    counts skopeo.before
    start=$(date +%s.%N)
    : >"$STATE/tags.txt"
    for r in $(seq 0 $((REPOS - 1))); do
        repo="$(printf 'bulk/r%04d' "$r")"
        skopeo list-tags --tls-verify=false "docker://$PROXY/$repo" \
            | python3 -c 'import json,sys; r=sys.argv[1]; [print(r+":"+t) for t in json.load(sys.stdin)["Tags"]]' "$repo" \
            >>"$STATE/tags.txt"
    done
    listed=$(date +%s.%N)
    counts skopeo.listed
    total_tags=$(wc -l <"$STATE/tags.txt")
    step=1
    if [[ -n "$SAMPLE" && "$SAMPLE" -lt "$total_tags" ]]; then step=$(( total_tags / SAMPLE )); fi
    inspected=0
    while read -r ref; do
        skopeo inspect --tls-verify=false --raw "docker://$PROXY/$ref" >/dev/null
        skopeo inspect --tls-verify=false --config --raw "docker://$PROXY/$ref" >/dev/null
        inspected=$((inspected + 1))
        [[ -n "$SAMPLE" && "$inspected" -ge "$SAMPLE" ]] && break
    done < <(awk -v s="$step" '(NR - 1) % s == 0' "$STATE/tags.txt")
    end=$(date +%s.%N)
    counts skopeo.after
    echo "$listed $start $end $inspected $total_tags" >"$STATE/skopeo.time"
fi

python3 - "$STATE" "$DELAY_MS" "$CONCURRENCY" "$BASELINE" <<'PY'
import json, sys, pathlib
state, delay, conc, baseline = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
bulk = json.loads((state / "bulk.json").read_text())
def load(p): return json.loads((state / p).read_text())
def diff(name, a="before", b="after"):
    x, y = load(f"{name}.{a}.counts.json"), load(f"{name}.{b}.counts.json")
    return {k: y.get(k, 0) - x.get(k, 0) for k in y if y.get(k, 0) - x.get(k, 0)}
# One catalog page (repositories ≤ 1000), one tag page per repository (tags ≤ 1000),
# one HEAD per tag, one GET per distinct manifest and per distinct config.
minimum = 1 + bulk["repos"] + bulk["tags"] + bulk["manifests"] + bulk["configs"]
warm_min = 1 + bulk["repos"] + bulk["tags"]
floor = minimum * delay / 1000 / conc
warm_floor = warm_min * delay / 1000 / conc
print(f"\n== nuccrawl benchmark: {bulk['tags']} tags in {bulk['repos']} repositories, "
      f"{bulk['manifests']} manifests, {bulk['configs']} configs, {bulk['images']} images; "
      f"{delay} ms per request, concurrency {conc}")
print(f"minimum requests: {minimum} (warm: {warm_min}); floor {floor:.2f} s (warm floor {warm_floor:.2f} s)")
res = {}
for name in ("cold", "warm", "lean"):
    secs, kb = (state / f"{name}.time").read_text().split()
    res[name] = (float(secs), int(kb) / 1024)
    rep = load(f"{name}.report.json")
    reqs = {k: v for k, v in rep["requests"].items() if v}
    proxied = diff(name)
    print(f"{name:5}: {float(secs):7.2f} s  peak RSS {int(kb)/1024:6.1f} MiB  images {rep['images']}  "
          f"requests {reqs}  proxy saw {proxied}")
cold_t, warm_t, lean_rss = res["cold"][0], res["warm"][0], res["lean"][1]
cold_total = diff("cold").get("total", 0)
print(f"cold / floor        {cold_t / floor:6.2f}x   (target <= 1.5)")
print(f"cold / warm         {cold_t / warm_t:6.2f}x   (target >= 3; warm floor allows at most {floor / warm_floor:.2f}x)")
print(f"requests / minimum  {cold_total / minimum:6.3f}    (target <= 1.05; proxy count {cold_total})")
print(f"peak RSS, --no-bodies, {bulk['images']} images: {lean_rss:.1f} MiB (target < 100 MiB at 10,000 images)")
if baseline:
    listed, start, end, inspected, total = (state / "skopeo.time").read_text().split()
    listed, start, end, inspected, total = float(listed), float(start), float(end), int(inspected), int(total)
    list_t, insp_t = listed - start, end - listed
    est = list_t + insp_t * total / max(inspected, 1)
    sk = diff("skopeo")
    per_tag = {k: v / max(inspected, 1) for k, v in diff("skopeo", "listed", "after").items()}
    note = "" if inspected >= total else f" EXTRAPOLATED from {inspected} of {total} tags"
    print(f"skopeo: list-tags {list_t:.1f} s + inspect {insp_t:.1f} s for {inspected} tags "
          f"=> {est:.1f} s for all {total}{note}")
    print(f"skopeo requests per tag (proxy): { {k: round(v, 2) for k, v in per_tag.items()} }; all: {sk}")
    print(f"skopeo / cold       {est / cold_t:6.1f}x   (target >= 50){note and ' (extrapolated)'}")
PY

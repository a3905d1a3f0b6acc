#!/usr/bin/env bash
# Benchmark: nuccrawl (cold cache, warm cache) against a skopeo loop, behind a latency proxy,
# then nuccrawl on the same content presented as Docker Hub (web API + registry).
#
#   scripts/bench.sh [--tags N] [--tags-per-repo M] [--tags-per-image K] [--delay-ms D]
#                    [--concurrency C] [--baseline-sample S] [--no-baseline]
#
# Run by hand, not in CI. Builds release binaries, starts a Distribution registry on
# 127.0.0.1 holding N generated tags (N/M repositories of M tags, K tags per image, every
# 10th image a two-platform index), puts nuccrawl's own latency proxy (D ms per request)
# in front of it, starts a fake of Docker Hub's web API listing the same repositories
# (namespace `bulk`, each tag with its real digest) behind a second proxy with the same
# delay, and runs in one go:
#   1. nuccrawl, cold cache (fresh --cache-dir)       2. nuccrawl, warm cache (same dir)
#   3. nuccrawl --no-bodies --no-cache, for peak RSS  4. the skopeo loop a user would write:
#      `skopeo list-tags` per repository, `skopeo inspect --raw` and
#      `skopeo inspect --config --raw` per tag. With --baseline-sample S only S tags are
#      inspected and the time is extrapolated linearly (the output says so).
#   5. nuccrawl, Docker Hub-style API, cold: `docker.io/bulk/*` with
#      `--registry-endpoint docker.io=<registry proxy> --hub-api http://<hub proxy>`,
#      fresh --cache-dir, no credentials from the environment or auth files
#   6. the same, warm cache (same dir)
# and, after run 2, a warm run with `--immutable-tags '*'` twice (the first records the
# tags' digests, the second, reported as `imm`, uses them: tag lists only, no HEAD).
# Prints wall time, requests by kind (nuccrawl's --report and each proxy's own count),
# peak RSS, the floor (minimum requests × delay / concurrency) and the target ratios; for
# runs 5-6 also which path resolved the tags (the Hub tags endpoint, or tags/list and a
# HEAD per tag on the registry), their floor (Hub namespace pages + Hub tag pages +
# registry tag lists + distinct manifests + distinct configs cold, the pages and tag lists
# alone warm; Hub pages of 100), the
# time the pages take one after another, and cold / warm.
# Fails if run 2's output differs from run 1's, run 6's from run 5's, or run 5's assets
# differ from run 1's other than in image_registry.
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
        *) sed -n '2,31p' "$0" >&2; exit 1 ;;
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
HUBPROXY="$(cat "$STATE/hub-addr")"

# Snapshot of both proxies' counts, once the writers have caught up.
counts() {
    sleep 0.3
    cp "$STATE/proxy-counts.json" "$STATE/$1.counts.json"
    cp "$STATE/hub-proxy-counts.json" "$STATE/$1.hub.counts.json"
}

# run NAME TARGET ARGS…: times nuccrawl (prefixed by RUN_ENV), keeps its report and
# peak RSS.
RUN_ENV=()
run() {
    local name="$1" target="$2"; shift 2
    counts "$name.before"
    /usr/bin/time -f "%e %M" -o "$STATE/$name.time" \
        "${RUN_ENV[@]}" "$BIN_DIR/nuccrawl" "$target" -q --concurrency "$CONCURRENCY" \
        --report "$STATE/$name.report.json" "$@"
    counts "$name.after"
}
echo "bench: nuccrawl, cold cache…" >&2
run cold "$PROXY/**" -o "$STATE/cold.json" --cache-dir "$STATE/cache"
echo "bench: nuccrawl, warm cache…" >&2
run warm "$PROXY/**" -o "$STATE/warm.json" --cache-dir "$STATE/cache"
cmp -s "$STATE/cold.json" "$STATE/warm.json" || { echo "bench: warm output differs!" >&2; exit 1; }
echo "bench: nuccrawl, warm cache, every tag declared immutable (recording, then using)…" >&2
run immrec "$PROXY/**" -o "$STATE/immrec.json" --cache-dir "$STATE/cache" --immutable-tags '*'
run imm "$PROXY/**" -o "$STATE/imm.json" --cache-dir "$STATE/cache" --immutable-tags '*'
cmp -s "$STATE/cold.json" "$STATE/imm.json" || { echo "bench: immutable-tags output differs!" >&2; exit 1; }
echo "bench: nuccrawl --no-bodies --no-cache, for peak RSS…" >&2
run lean "$PROXY/**" -o "$STATE/lean.json" --no-bodies --no-cache

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

# The Docker Hub-style runs. Credentials a developer keeps for docker.io (auth files,
# NUCCRAWL_* variables) must not be sent to the fake, so the runs see none.
RUN_ENV=(env -u NUCCRAWL_REGISTRY -u NUCCRAWL_USERNAME -u NUCCRAWL_PASSWORD
    DOCKER_CONFIG="$STATE/no-credentials" REGISTRY_AUTH_FILE="$STATE/no-credentials/auth.json")
HUB_ARGS=(--registry-endpoint "docker.io=$PROXY" --hub-api "http://$HUBPROXY")
echo "bench: nuccrawl, Docker Hub-style API, cold cache…" >&2
run hubcold "docker.io/bulk/*" "${HUB_ARGS[@]}" -o "$STATE/hubcold.json" \
    --cache-dir "$STATE/hub-cache"
echo "bench: nuccrawl, Docker Hub-style API, warm cache…" >&2
run hubwarm "docker.io/bulk/*" "${HUB_ARGS[@]}" -o "$STATE/hubwarm.json" \
    --cache-dir "$STATE/hub-cache"
cmp -s "$STATE/hubcold.json" "$STATE/hubwarm.json" \
    || { echo "bench: Docker Hub-style warm output differs from cold!" >&2; exit 1; }

python3 - "$STATE" "$DELAY_MS" "$CONCURRENCY" "$BASELINE" "$PER_REPO" <<'PY'
import json, sys, pathlib
state, delay, conc, baseline = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
per_repo = int(sys.argv[5])
bulk = json.loads((state / "bulk.json").read_text())
def load(p): return json.loads((state / p).read_text())
def diff(name, a="before", b="after", proxy=""):
    x, y = load(f"{name}.{a}{proxy}.counts.json"), load(f"{name}.{b}{proxy}.counts.json")
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
for name in ("cold", "warm", "imm", "lean"):
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
print(f"cold / imm          {cold_t / res['imm'][0]:6.2f}x   (warm with --immutable-tags '*': the user vouches "
      f"that tags never move, so no HEAD; opt-in, not the default)")
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

# Docker Hub-style runs. Pages of 100: Docker Hub's largest page_size, which nuccrawl asks for.
hub_page = 100
ceil = lambda a, b: -(-a // b)
hub_pages = ceil(bulk["repos"], hub_page) + bulk["repos"] * ceil(per_repo, hub_page)
# The registry's tag list (one page of up to 1,000 tags per repository) still says which
# tags exist; the Hub API only says where they point.
tag_lists = bulk["repos"] * ceil(per_repo, 1000)
hub_warm_min = hub_pages + tag_lists
hub_min = hub_warm_min + bulk["manifests"] + bulk["configs"]
hub_floor = hub_min * delay / 1000 / conc
hub_warm_floor = hub_warm_min * delay / 1000 / conc
# Pages follow `next` one after another: the namespace's, then each repository's.
chain = (ceil(bulk["repos"], hub_page) + ceil(per_repo, hub_page)) * delay / 1000
print(f"\n== Docker Hub-style API (docker.io/bulk/*: Hub namespace and tag pages, then the registry)")
print(f"minimum requests: {hub_min} (warm: {hub_pages} Hub pages + {tag_lists} tag lists); floor {hub_floor:.3f} s "
      f"(warm floor {hub_warm_floor:.3f} s); pages in sequence alone take {chain:.3f} s")
hub = {}
for name in ("hubcold", "hubwarm"):
    secs, kb = (state / f"{name}.time").read_text().split()
    rep = load(f"{name}.report.json")
    reqs = {k: v for k, v in rep["requests"].items() if v}
    registry, api = diff(name), diff(name, proxy=".hub")
    if api.get("hub_tags", 0) and not registry.get("manifest_head", 0):
        path = "digests from the Hub tags endpoint, tags/list on the registry, no HEAD"
    elif registry.get("manifest_head", 0):
        path = ("tags/list and a HEAD per tag on the registry"
                + (" (and the Hub tags endpoint too)" if api.get("hub_tags", 0) else ""))
    else:
        path = "no tag resolution seen"
    hub[name] = (float(secs), registry.get("total", 0) + api.get("total", 0))
    print(f"{name:7}: {float(secs):7.2f} s  peak RSS {int(kb)/1024:6.1f} MiB  images {rep['images']}  "
          f"requests {reqs}")
    print(f"         registry proxy saw {registry}  hub proxy saw {api}")
    print(f"         path: {path}")
(hc_t, hc_total), (hw_t, hw_total) = hub["hubcold"], hub["hubwarm"]
print(f"hub cold / floor        {hc_t / hub_floor:6.2f}x")
best = max(hub_floor, chain) / max(hub_warm_floor, chain)
print(f"hub cold / warm         {hc_t / hw_t:6.2f}x   (floors and page sequence allow at most {best:.2f}x)")
print(f"hub requests / minimum  {hc_total / hub_min:6.3f}    (cold; both proxies: {hc_total}; warm {hw_total} "
      f"against {hub_warm_min})")

# The same content must give the same assets whichever way it was found.
def assets(name):
    out = json.loads((state / f"{name}.json").read_text())["assets"]
    for a in out:
        a.pop("image_registry", None)
    return sorted(out, key=lambda a: (a["image_repo"], a["image_manifest_digest"]))
dist, via_hub = assets("cold"), assets("hubcold")
key = lambda a: (a["image_repo"], a["image_manifest_digest"], a["image_config_digest"], tuple(a["image_tags"]))
if dist != via_hub:
    only_dist = sorted(set(map(key, dist)) - set(map(key, via_hub)))
    only_hub = sorted(set(map(key, via_hub)) - set(map(key, dist)))
    print(f"bench: Docker Hub-style assets differ from the Distribution run's: {len(dist)} vs {len(via_hub)} "
          f"assets; only in Distribution {only_dist[:3]}, only via Hub {only_hub[:3]}", file=sys.stderr)
    sys.exit(1)
print(f"Docker Hub-style assets equal the Distribution run's ({len(dist)} assets, image_registry aside); "
      f"warm output equals cold byte for byte")
PY

#!/usr/bin/env bash
# Runs nuccrawl's whole test suite: `scripts/test.sh [extra cargo test arguments]`.
#
# The integration tests start their own Distribution registry on 127.0.0.1 and push fixtures
# with skopeo, so both must be installed; the real images are read from
# $NUCCRAWL_SHARED/images (default: ../shared/images beside the repository).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
missing=0

if ! command -v "${NUCCRAWL_REGISTRY_BIN:-docker-registry}" >/dev/null 2>&1; then
    echo "test: docker-registry (Distribution 2.8) not found: sudo apt-get install -y docker-registry" >&2
    missing=1
fi
if ! command -v skopeo >/dev/null 2>&1; then
    echo "test: skopeo not found: sudo apt-get install -y skopeo" >&2
    missing=1
fi
if ! command -v htpasswd >/dev/null 2>&1; then
    echo "test: htpasswd not found: sudo apt-get install -y apache2-utils" >&2
    missing=1
fi
shared="${NUCCRAWL_SHARED:-$ROOT/../shared}"
if [[ ! -d "$shared/images" ]]; then
    echo "test: fixture images not found at $shared/images (set NUCCRAWL_SHARED)" >&2
    missing=1
fi
if [[ "$missing" -ne 0 ]]; then
    exit 1
fi

cd "$ROOT"
cargo test --workspace "$@"

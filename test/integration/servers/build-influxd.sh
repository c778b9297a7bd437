#!/usr/bin/env bash
# Builds a real influxd 1.8.x from source (Go module proxy, no other download)
# into test/integration/.servers/bin/influxd-1.8 (git-ignored). InfluxDB 1.8
# serves the v2 compatibility API next to the v1 API: /api/v2/write and Flux
# on /api/v2/query (with `[http] flux-enabled = true`), token
# `username:password`. Used by startInflux({ version: '1.8' }) in influx.ts.
#
#   bash test/integration/servers/build-influxd.sh           # skip if built
#   bash test/integration/servers/build-influxd.sh --force   # rebuild
#
# Needs: go (any recent; built and tested with go 1.26), gcc (cgo). No Rust:
# 1.8.10 pins Flux v0.65.1, whose parser is still pure Go (libflux not needed).
# Measured on 2 cores: ~1.5-3 min with an empty module/build cache, ~62 MB.
set -euo pipefail

VERSION="${INFLUXD_18_VERSION:-1.8.10}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
OUT_DIR="$ROOT/test/integration/.servers/bin"
OUT="$OUT_DIR/influxd-1.8"

if [[ "${1:-}" != "--force" && -x "$OUT" ]] && "$OUT" version 2>/dev/null | grep -q "v$VERSION "; then
  echo "build-influxd: $OUT is already influxd $VERSION"
  exit 0
fi

command -v go >/dev/null || { echo "build-influxd: go is not installed" >&2; exit 1; }
mkdir -p "$OUT_DIR"
tmp="$(mktemp -d "$OUT_DIR/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "build-influxd: go install github.com/influxdata/influxdb/cmd/influxd@v$VERSION ($(go version))"
start=$(date +%s)
# The module's go.mod predates toolchain lines; keep the local toolchain.
GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -buildvcs=false" GOBIN="$tmp" \
  go install -trimpath \
  -ldflags "-s -w -X main.version=$VERSION -X main.commit=v$VERSION -X main.branch=1.8" \
  "github.com/influxdata/influxdb/cmd/influxd@v$VERSION"
mv -f "$tmp/influxd" "$OUT"
echo "build-influxd: built $("$OUT" version) -> $OUT in $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# Builds a real influxd from source (Go module proxy and crates.io only). Run by the
# influxd-1.8 / influxd-2.7 steps of `npm test`'s set-up (scripts/setup/steps.mjs, which caches
# the result under .cache/; docs/testing.md), or by hand:
#
#   bash test/integration/servers/build-influxd.sh <1.8|2.7> <output file>
#
# 1.8 -> InfluxDB 1.8.10. Serves the v1 API plus the v2 compatibility API:
#   /api/v2/write?bucket=db/rp and Flux on /api/v2/query (`[http] flux-enabled = true`), token
#   `username:password`. `go install` works as is; pure Go (CGO_ENABLED=0: no C compiler, no
#   Rust; 1.8.10 pins Flux v0.65.1, whose parser is Go). Measured: 131 s on 2 cores with empty
#   Go caches (load average ~4 from other jobs), 48 MB.
#
# 2.7 -> InfluxDB OSS 2.7.12, the real v2 server (orgs, buckets, tokens, /api/v2/setup, Flux).
#   `go install ...@v2.7.12` is refused (its go.mod has a replace directive), so the module is
#   fetched with `go mod download` and built in a scratch copy. Flux v0.196.1 needs libflux
#   (Rust), built by cargo through the influxdata/pkg-config wrapper; that crate pins Rust 1.72
#   (rust-toolchain.toml, not installable here) and denies warnings, so the build uses the
#   installed stable toolchain and a RUSTC_WRAPPER that caps lints at `warn`. Needs go, cargo and
#   a C compiler (cgo). No UI assets (the `assets` build tag is off). Measured: 21 min wall with
#   empty caches (other jobs loading the 2 cores; 12 min CPU), 18 s with warm Go/cargo caches;
#   93 MB. Details and the errors met on the way: INFLUXDB-V2.md.
#
# INFLUXD_VERSION overrides the version (1.8.10 / 2.7.12).
set -euo pipefail

TARGET="${1:-}"
OUT="${2:-}"
if [[ "$TARGET" != "1.8" && "$TARGET" != "2.7" ]] || [[ -z "$OUT" ]]; then
  echo "usage: $0 <1.8|2.7> <output file>" >&2
  exit 2
fi
case "$TARGET" in
  1.8) VERSION="${INFLUXD_VERSION:-1.8.10}" ;;
  2.7) VERSION="${INFLUXD_VERSION:-2.7.12}" ;;
esac
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"

command -v go >/dev/null || { echo "build-influxd: go is not installed" >&2; exit 1; }
tmp="$(mktemp -d "$(dirname "$OUT")/.build-$TARGET.XXXXXX")"
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
start=$(date +%s)
# The modules' go.mod files predate or pin older toolchains: keep the local one.
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

if [[ "$TARGET" == "1.8" ]]; then
  echo "build-influxd: go install github.com/influxdata/influxdb/cmd/influxd@v$VERSION ($(go version))"
  GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X main.version=$VERSION -X main.commit=v$VERSION -X main.branch=1.8" \
    "github.com/influxdata/influxdb/cmd/influxd@v$VERSION"
else
  command -v cargo >/dev/null || { echo "build-influxd: cargo is not installed (libflux is Rust)" >&2; exit 1; }
  echo "build-influxd: go mod download github.com/influxdata/influxdb/v2@v$VERSION ($(go version), $(cargo --version))"
  src="$(go mod download -json "github.com/influxdata/influxdb/v2@v$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -d "$src" ]] || { echo "build-influxd: go mod download gave no source dir" >&2; exit 1; }
  cp -r "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  echo "build-influxd: go install github.com/influxdata/pkg-config@v0.2.7 (builds libflux with cargo)"
  GOBIN="$tmp/bin" go install github.com/influxdata/pkg-config@v0.2.7
  cat >"$tmp/bin/rustc-cap-lints" <<'EOF'
#!/bin/sh
# RUSTC_WRAPPER: libflux has #![deny(warnings)]; newer rustc versions add
# warnings. Cap lints at warn for every crate (RUSTFLAGS would miss the
# host-side build dependencies when cargo runs with --target).
rustc="$1"; shift
case " $* " in
  *" --crate-name "*)
    case " $* " in
      *" --cap-lints "*) exec "$rustc" "$@" ;;
      *) exec "$rustc" "$@" --cap-lints warn ;;
    esac ;;
  *) exec "$rustc" "$@" ;;
esac
EOF
  chmod +x "$tmp/bin/rustc-cap-lints"
  echo "build-influxd: go build ./cmd/influxd (Go packages, then libflux via cargo: the slow part)"
  (
    cd "$tmp/src"
    RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-stable}" \
    RUSTC_WRAPPER="$tmp/bin/rustc-cap-lints" \
    PKG_CONFIG="$tmp/bin/pkg-config" \
      go build -trimpath \
      -ldflags "-s -w -X main.version=$VERSION -X main.commit=v$VERSION -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      -o "$tmp/influxd" ./cmd/influxd
  )
fi

mv -f "$tmp/influxd" "$OUT"
echo "build-influxd: built $("$OUT" version) -> $OUT in $(( $(date +%s) - start )) s"

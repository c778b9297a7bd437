#!/usr/bin/env bash
# Proves the README's "Two commands" on a fresh machine: builds a minimal Debian 12 root with
# debootstrap, clones this repository into it, and runs, as an ordinary user inside a chroot,
#   1. `npm install && npm start` until the web-mode URL it prints answers (fetched from here);
#   2. `npm test`, fully.
# Not part of `npm test`; run as root on a Debian/Ubuntu host:
#
#   sudo bash scripts/fresh-machine-check.sh [--keep] [--ci] [--dir <root dir>] [--ref <git ref>]
#
# --ci then runs `CI=true bash .ci/run` twice as root in the same root, each on a fresh clone, as CI
# does: the first with root's caches empty (cold: apt packages, npm, Maven, Go, cargo, pip, the
# influxd builds), the second reusing them (warm). Their times are the CI times docs/testing.md cites.
#
# The fresh machine gets only what a new Debian 12 machine of this kind has, plus what the
# README names as prerequisites:
#   - debootstrap --variant=minbase (no Java, Go, Python, Rust, compiler, browser, InfluxDB);
#   - its apt lists (a fresh machine has them; `apt-get download` needs them);
#   - /etc/hostname and /etc/hosts as Debian's installer writes them (the machine's name resolves);
#   - the host's DNS configuration and trusted CA certificates (an egress proxy here re-signs
#     TLS; a machine of this kind trusts its CA, and NODE_EXTRA_CA_CERTS names the bundle);
#   - git, and Node 20 copied from the host (Debian 12 ships Node 18), with its headers;
#   - python3, make and g++: the README's prerequisite where better-sqlite3's prebuilt binary
#     cannot be downloaded (no access to GitHub here), plus npm's nodedir where the Node
#     headers cannot be (nodejs.org unreachable), as on the host (there: /usr/local).
# Prints the time of each phase and the results; the logs stay in <root dir>/home/dev/*.log
# with --keep. The chroot's /proc, /sys and /dev are unmounted and the root removed at the end.
set -euo pipefail

KEEP=""
CI_RUNS=""
ROOT_DIR=""
REF="HEAD"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --ci) CI_RUNS=1 ;;
    --dir) ROOT_DIR="$2"; shift ;;
    --ref) REF="$2"; shift ;;
    *) echo "usage: $0 [--keep] [--ci] [--dir <root dir>] [--ref <git ref>]" >&2; exit 2 ;;
  esac
  shift
done
[[ "$(id -u)" -eq 0 ]] || { echo "fresh-machine-check: run as root (debootstrap and chroot need it)" >&2; exit 2; }

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT_DIR="${ROOT_DIR:-$(mktemp -d /tmp/ts-engine-fresh-machine.XXXXXX)}"
# mktemp makes it 0700, and the root of the fresh machine must be traversable by its user
chmod 755 "$ROOT_DIR"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
T0=$(date +%s)
SUMMARY=()

say() { echo "fresh-machine-check [$(( $(date +%s) - T0 )) s] $*"; }
phase() {
  # phase <name> <command...>: runs it, records its time and result
  local name="$1"; shift
  local t=$(date +%s) rc=0
  say "== $name"
  "$@" || rc=$?
  SUMMARY+=("$(printf '%-44s %s in %d s' "$name" "$([[ $rc -eq 0 ]] && echo passed || echo "FAILED (exit $rc)")" $(( $(date +%s) - t )))")
  return $rc
}

mounted=()
cleanup() {
  set +e
  # processes we started inside the chroot (servers, the web-mode server) end with it
  for p in /proc/[0-9]*; do
    if [[ "$(readlink "$p/root" 2>/dev/null)" == "$ROOT_DIR" ]]; then kill -9 "${p#/proc/}" 2>/dev/null; fi
  done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -R "${mounted[$i]}" 2>/dev/null || umount -lR "${mounted[$i]}"; done
  if [[ -z "$KEEP" ]]; then rm -rf "$ROOT_DIR"; else say "kept $ROOT_DIR"; fi
  say "summary (total $(( $(date +%s) - T0 )) s wall):"
  for l in "${SUMMARY[@]}"; do echo "  $l"; done
  # CPU time: the second line of `times` is user and system time of everything this script waited for
  times >"$ROOT_DIR.times"
  echo "  CPU time of all the processes run (user, system): $(tail -1 "$ROOT_DIR.times")"
  rm -f "$ROOT_DIR.times"
}
trap cleanup EXIT

in_root() { chroot "$ROOT_DIR" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
# a login of the ordinary user `dev`, with the environment a machine of this kind gives it
as_dev() {
  chroot --userspec=dev:dev "$ROOT_DIR" /usr/bin/env -i HOME=/home/dev USER=dev LANG=C.UTF-8 \
    PATH=/usr/local/bin:/usr/bin:/bin NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    /bin/bash -c "cd /home/dev && $1"
}

make_root() {
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  debootstrap --variant=minbase bookworm "$ROOT_DIR" "$MIRROR" >"$ROOT_DIR.debootstrap.log" 2>&1 || { tail -20 "$ROOT_DIR.debootstrap.log"; return 1; }
  rm -f "$ROOT_DIR.debootstrap.log"
  # A real machine's / is a mount point. A plain directory as the chroot's / is not, so /proc/self/mounts
  # inside has no entry covering /tmp, and Java's FileStore lookup (Cassandra's disk-space check) fails.
  mount --bind "$ROOT_DIR" "$ROOT_DIR" && mounted+=("$ROOT_DIR")
  mount -t proc proc "$ROOT_DIR/proc" && mounted+=("$ROOT_DIR/proc")
  mount -t sysfs sys "$ROOT_DIR/sys" && mounted+=("$ROOT_DIR/sys")
  mount --rbind /dev "$ROOT_DIR/dev" && mount --make-rslave "$ROOT_DIR/dev" && mounted+=("$ROOT_DIR/dev")
  cp /etc/resolv.conf "$ROOT_DIR/etc/resolv.conf"
  # what Debian's installer writes: the machine's own name resolves (Java's InetAddress.getLocalHost, which Flink's
  # local cluster calls, fails otherwise); the chroot shares the host's name
  echo "$(hostname)" >"$ROOT_DIR/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)" >"$ROOT_DIR/etc/hosts"
}

machine_kind() {
  cat >"$ROOT_DIR/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY bookworm-security main
EOF
  in_root apt-get update -qq
  in_root apt-get install -y -qq --no-install-recommends ca-certificates git python3 make g++ >/dev/null
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$ROOT_DIR/usr/local/share/ca-certificates/"
    in_root update-ca-certificates >/dev/null
  fi
  # the host's Node (Debian 12's own is 18): the nodejs package's files, headers included
  local node
  node="$(readlink -f "$(command -v node)")"
  "$node" -e 'const [maj, min] = process.versions.node.split(".").map(Number); process.exit(maj > 20 || (maj === 20 && min >= 19) ? 0 : 1)' ||
    { echo "the host's Node is $("$node" --version); the README asks for >= 20.19" >&2; return 1; }
  # node, npm and npx, npm's own tree and the headers, wherever the host keeps them
  local prefix
  prefix="$(dirname "$(dirname "$node")")"
  mkdir -p "$ROOT_DIR/usr/local/bin" "$ROOT_DIR/usr/local/lib/node_modules" "$ROOT_DIR/usr/local/include"
  cp -a "$node" "$ROOT_DIR/usr/local/bin/node"
  cp -a "$prefix/lib/node_modules/npm" "$ROOT_DIR/usr/local/lib/node_modules/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOT_DIR/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOT_DIR/usr/local/bin/npx"
  if [[ -d "$prefix/include/node" ]]; then cp -a "$prefix/include/node" "$ROOT_DIR/usr/local/include/"; fi
  in_root useradd -m -s /bin/bash dev
  if [[ -f "$ROOT_DIR/usr/local/include/node/node.h" ]]; then
    for home in home/dev root; do echo 'nodedir=/usr/local' >"$ROOT_DIR/$home/.npmrc"; done
  fi
  chown dev:dev "$ROOT_DIR/home/dev/.npmrc" 2>/dev/null || true
  say "node $(as_dev 'node --version'), npm $(as_dev 'npm --version'), $(as_dev 'git --version'); in the root: java=$(in_root sh -c 'command -v java || echo none'), go=$(in_root sh -c 'command -v go || echo none'), cargo=$(in_root sh -c 'command -v cargo || echo none'), chromium=$(in_root sh -c 'command -v chromium || echo none'), influxd=$(in_root sh -c 'command -v influxd || echo none')"
}

# a bundle carries refs, not bare commits: the commit gets a branch of its own for the clones
BRANCH="fresh-machine-check-$$"
clone() {
  local branch="$BRANCH"
  git -C "$REPO" branch -f "$branch" "$REF"
  git -C "$REPO" bundle create "$ROOT_DIR/tmp/ts-engine.bundle" "$branch" 2>&1 | grep -v '^Enumerating\|^Counting\|^Compressing\|^Writing\|^Total' || true
  git -C "$REPO" branch -D "$branch" >/dev/null
  chmod 644 "$ROOT_DIR/tmp/ts-engine.bundle"
  as_dev "git -c advice.detachedHead=false clone -q -b $branch /tmp/ts-engine.bundle ts-engine && git -C ts-engine log -1 --format='cloned %h %s'"
}

first_command() {
  # `npm install && npm start` in the background (its own session), until its URL answers
  chroot --userspec=dev:dev "$ROOT_DIR" /usr/bin/env -i HOME=/home/dev USER=dev LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    setsid /bin/bash -c 'cd /home/dev/ts-engine && npm install && npm start' >"$ROOT_DIR/home/dev/first-command.log" 2>&1 &
  local pid=$! url="" deadline=$(( $(date +%s) + 1800 ))
  while [[ -z "$url" ]]; do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/?token=[A-Za-z0-9_-]*' "$ROOT_DIR/home/dev/first-command.log" | head -1 || true)"
    if ! kill -0 "$pid" 2>/dev/null && [[ -z "$url" ]]; then tail -30 "$ROOT_DIR/home/dev/first-command.log"; return 1; fi
    if [[ $(date +%s) -gt $deadline ]]; then echo "no URL after 30 min" >&2; tail -30 "$ROOT_DIR/home/dev/first-command.log"; kill -- -"$pid"; return 1; fi
    sleep 2
  done
  say "npm start printed $url"
  local page rc=0
  page="$(curl -fsS --max-time 20 "$url")" || rc=$?
  kill -TERM -- -"$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ $rc -eq 0 ]] || { echo "GET $url failed (curl exit $rc)" >&2; return 1; }
  grep -qi '<html' <<<"$page" || { echo "GET $url answered, but not with the workbench page" >&2; return 1; }
  say "GET $url: 200, $(wc -c <<<"$page") bytes of the workbench page"
  grep -E 'added [0-9]+ packages|npm (WARN|ERR)' "$ROOT_DIR/home/dev/first-command.log" | head -5 | sed 's/^/  | /'
}

second_command() {
  local rc=0
  as_dev 'cd ts-engine && npm test' >"$ROOT_DIR/home/dev/npm-test.log" 2>&1 || rc=$?
  # the set-up's lines and each step's result; the whole output is in npm-test.log
  grep -E '^(setup |=== )|Test Files |Tests |passed|failed|skipped' "$ROOT_DIR/home/dev/npm-test.log" | grep -v '^\s*$' | sed 's/^/  | /'
  [[ $rc -eq 0 ]] || tail -80 "$ROOT_DIR/home/dev/npm-test.log"
  return "$rc"
}

phase "debootstrap a minimal Debian 12 root" make_root
phase "a fresh machine of this kind (git, Node 20, CAs)" machine_kind
phase "git clone" clone
phase "npm install && npm start (until the URL answers)" first_command
phase "npm test" second_command

ci_run() {
  # ci_run <label>: what CI does, as root (who has no caches of his own until the first run)
  local label="$1" rc=0
  chroot "$ROOT_DIR" /usr/bin/env -i HOME=/root USER=root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt CI=true \
    /bin/bash -c "cd /root && git -c advice.detachedHead=false clone -q -b $BRANCH /tmp/ts-engine.bundle ci-$label && cd ci-$label && bash .ci/run" \
    >"$ROOT_DIR/root/ci-$label.log" 2>&1 || rc=$?
  grep -E '^(setup |=== |== )|Test Files ' "$ROOT_DIR/root/ci-$label.log" | sed 's/^/  | /'
  [[ $rc -eq 0 ]] || tail -80 "$ROOT_DIR/root/ci-$label.log"
  return "$rc"
}
if [[ -n "$CI_RUNS" ]]; then
  phase "CI=true bash .ci/run, cold (fresh clone, root's caches empty)" ci_run cold
  phase "CI=true bash .ci/run, warm (a second fresh clone)" ci_run warm
fi

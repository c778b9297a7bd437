#!/usr/bin/env bash
# Installs the real servers the integration tests start
# (test/integration/servers/{kafka,influx,cassandra}.ts). Idempotent; meant to run as
# root on a fresh Debian 12 (called by .ci/run). Prints what it does.
#
#   1. Debian packages: influxdb (1.6.7: /usr/bin/influxd), maven and a Java 17
#      runtime if missing. The package's own service is not needed (the tests
#      start influxd with their own config on free 127.0.0.1 ports).
#   2. Apache Kafka jars (KRaft broker) from Maven Central, via
#      test/integration/servers/kafka/pom.xml, into
#      test/integration/.servers/kafka-libs/ (git-ignored).
#   3. Apache Cassandra 5.0.4 jars (cassandra-all and its ~100 dependencies,
#      66 MB) from Maven Central, via test/integration/servers/cassandra/pom.xml,
#      into test/integration/.servers/cassandra-libs/ (git-ignored).
#   4. influxd 1.8.10 and 2.7.12 built from source (Go module proxy, crates.io)
#      into test/integration/.servers/bin/influxd-{1.8,2.7}, for the InfluxDB
#      v2-API tests (test/integration/servers/build-influxd.sh; 1.8: ~2 min,
#      2.7: 10-20 min on a fresh 2-core machine, ~2.5 min with warm caches).
#      SKIP_INFLUXD_18=1 / SKIP_INFLUXD_27=1 skip them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
started=$(date +%s)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
say() { echo "install-servers: $*"; }

# ---------------------------------------------------------------- 1. apt --
need=()
dpkg -s influxdb >/dev/null 2>&1 || need+=(influxdb)
command -v mvn >/dev/null 2>&1 || need+=(maven)
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|2[0-9])'; then
  need+=(openjdk-17-jre-headless)
fi
if [ ${#need[@]} -gt 0 ]; then
  say "apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  say "influxdb, maven and Java 17+ already installed"
fi
say "$(influxd version 2>/dev/null || echo 'influxd: NOT FOUND')"
say "$(java -version 2>&1 | head -1)"

# --------------------------------------------------------- 2. Kafka jars --
POM="$ROOT/test/integration/servers/kafka/pom.xml"
LIBS="$ROOT/test/integration/.servers/kafka-libs"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -1)"
if [ -f "$LIBS/.complete" ] && [ "$(cat "$LIBS/.complete")" = "$KAFKA_VERSION" ]; then
  say "Kafka $KAFKA_VERSION jars already in $LIBS ($(ls "$LIBS"/*.jar | wc -l) jars)"
else
  say "fetching Kafka $KAFKA_VERSION jars with mvn dependency:copy-dependencies -> $LIBS"
  mkdir -p "$(dirname "$LIBS")"
  tmp="$LIBS.tmp-$$"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log"; rm -f "$tmp.log"
    say "mvn failed"; exit 1
  fi
  rm -f "$tmp.log"
  test -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar"
  echo "$KAFKA_VERSION" >"$tmp/.complete"   # same marker kafka.ts checks
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  say "Kafka $KAFKA_VERSION: $(ls "$LIBS"/*.jar | wc -l) jars"
fi

# ----------------------------------------------------- 3. Cassandra jars --
CPOM="$ROOT/test/integration/servers/cassandra/pom.xml"
CLIBS="$ROOT/test/integration/.servers/cassandra-libs"
CASSANDRA_VERSION="$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' "$CPOM" | head -1)"
if [ -f "$CLIBS/.complete" ] && [ "$(cat "$CLIBS/.complete")" = "$CASSANDRA_VERSION" ]; then
  say "Cassandra $CASSANDRA_VERSION jars already in $CLIBS ($(ls "$CLIBS"/*.jar | wc -l) jars)"
else
  say "fetching Cassandra $CASSANDRA_VERSION jars with mvn dependency:copy-dependencies -> $CLIBS"
  mkdir -p "$(dirname "$CLIBS")"
  tmp="$CLIBS.tmp-$$"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$CPOM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log"; rm -f "$tmp.log"
    say "mvn failed"; exit 1
  fi
  rm -f "$tmp.log"
  test -f "$tmp/cassandra-all-$CASSANDRA_VERSION.jar"
  echo "$CASSANDRA_VERSION" >"$tmp/.complete"   # same marker cassandra.ts checks
  rm -rf "$CLIBS"
  mv "$tmp" "$CLIBS"
  say "Cassandra $CASSANDRA_VERSION: $(ls "$CLIBS"/*.jar | wc -l) jars"
fi

# ------------------------------------------- 4. influxd 1.8.10 and 2.7.12 --
if [ "${SKIP_INFLUXD_18:-}" = "1" ]; then
  say "SKIP_INFLUXD_18=1: not building influxd 1.8 (its tests build it on first use)"
elif ! command -v go >/dev/null 2>&1; then
  say "go not found: not building influxd 1.8 (the InfluxDB 1.8 tests will fail)"
else
  say "influxd 1.8: bash test/integration/servers/build-influxd.sh 1.8"
  bash "$ROOT/test/integration/servers/build-influxd.sh" 1.8
fi

# 2.7 is the expensive one (Go + Rust libflux): ~2.5 min with warm Go/cargo
# caches, 10-20 min on a fresh 2-core machine. Its tests are skipped when the
# binary is missing, so a failed build does not fail CI, but says so loudly.
if [ "${SKIP_INFLUXD_27:-}" = "1" ]; then
  say "SKIP_INFLUXD_27=1: not building influxd 2.7 (the InfluxDB 2.7 tests will be skipped)"
elif ! command -v go >/dev/null 2>&1 || ! command -v cargo >/dev/null 2>&1; then
  say "go or cargo not found: not building influxd 2.7 (the InfluxDB 2.7 tests will be skipped)"
else
  say "influxd 2.7: bash test/integration/servers/build-influxd.sh 2.7"
  if ! bash "$ROOT/test/integration/servers/build-influxd.sh" 2.7; then
    say "WARNING: influxd 2.7 build FAILED: the InfluxDB 2.7 tests will be skipped"
  fi
fi

say "done in $(( $(date +%s) - started )) s"

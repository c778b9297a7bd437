#!/usr/bin/env bash
# Creates test/bench/.venv with a pinned PySpark for the pyspark_rdd.py benchmark peer.
# Needs: python3 (>= 3.8) with the venv module, a Java 17 runtime on PATH (or JAVA_HOME),
# and access to PyPI. pyspark 3.5.x ships Spark's jars inside the wheel (~317 MB sdist),
# so no separate Spark download is needed.
# Usage: bash test/bench/peers/setup-pyspark.sh        (idempotent; re-run to repair)
set -euo pipefail
PYSPARK_VERSION="3.5.9"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$(cd "$here/.." && pwd)/.venv"
py="${PYTHON:-python3}"

if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
  echo "setup-pyspark: no java on PATH and JAVA_HOME unset; PySpark needs a JVM (Java 8/11/17)" >&2
  exit 1
fi

start=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet "pyspark==${PYSPARK_VERSION}"
"$venv/bin/python" - <<'PY'
import pyspark, sys
print(f"setup-pyspark: pyspark {pyspark.__version__} on Python {sys.version.split()[0]}", file=sys.stderr)
PY
echo "setup-pyspark: ready in $(( $(date +%s) - start )) s: $venv/bin/python" >&2

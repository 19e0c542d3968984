#!/usr/bin/env bash
# Tools of `make bench-spark` (issue #17, « au-delà d'une machine »): a Java runtime
# (Debian's default-jre-headless, Java 17 on bookworm: pyspark 4 needs 17 or later) and
# .venv-spark, a venv holding pyspark only — the main venv compiles the ODSQL cases,
# runs them on DuckDB and transpiles them with sqlglot; .venv-spark runs them on a local
# Spark session (bench/spark_run.py). Idempotent; installs once (~200 MB Java, ~450 MB
# pyspark). Not part of `make install` nor of CI.
set -euo pipefail
PYTHON="${PYTHON:-python3}"
java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}
major="$(command -v java >/dev/null 2>&1 && java_major || true)"
if [ -z "$major" ] || [ "$major" -lt 17 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless
  major="$(java_major || true)"
  if [ -z "$major" ] || [ "$major" -lt 17 ]; then
    echo "bench-spark : pyspark 4 demande Java 17 ou plus (trouvé : ${major:-aucun})" >&2
    exit 1
  fi
fi
if [ ! -x .venv-spark/bin/python ] || ! .venv-spark/bin/python -c 'import pyspark' 2>/dev/null; then
  "$PYTHON" -m venv .venv-spark
  .venv-spark/bin/python -m pip install --quiet --disable-pip-version-check 'pyspark>=4,<5'
fi

#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the scolarité tests and benchmark.
#
# Installs PostgreSQL with apt-get if it is missing, then starts (once; later calls reuse
# it) a cluster on 127.0.0.1:${ARDOISE_PG_PORT:-55432}, data in ${ARDOISE_PG_DIR:-/tmp/ardoise-postgres},
# run as the `postgres` user (we may be root). Prints the URL on stdout, everything else on
# stderr:   export ARDOISE_TEST_POSTGRES_URL=$(bash scripts/postgres.sh)
# `bash scripts/postgres.sh stop` stops it (make test does, when it started it).
# Nothing else is touched: the system's own clusters are left alone.
set -euo pipefail
PORT="${ARDOISE_PG_PORT:-55432}"
DIR="${ARDOISE_PG_DIR:-/tmp/ardoise-postgres}"
log() { echo "postgres.sh: $*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ "${1:-}" != "stop" ] && { [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; }; then
  log "installation de PostgreSQL (apt-get)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
BIN="$(bindir)"
[ "${1:-}" = "stop" ] || [ -x "$BIN/initdb" ] || { log "PostgreSQL introuvable après installation"; exit 1; }

as_pg() {
  if [ "$(id -u)" = "0" ]; then
    command -v runuser >/dev/null && runuser -u postgres -- "$@" || su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

if [ "${1:-}" = "stop" ]; then  # stop the cluster of $DIR if it runs (its data is kept)
  if [ -n "$BIN" ] && [ -f "$DIR/data/PG_VERSION" ]; then
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  exit 0
fi

mkdir -p "$DIR"
[ "$(id -u)" = "0" ] && chown postgres: "$DIR"
if [ ! -f "$DIR/data/PG_VERSION" ]; then
  log "nouveau cluster dans $DIR/data"
  as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null \
    || as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 >/dev/null
fi
if ! as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  log "démarrage sur 127.0.0.1:$PORT"
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c max_connections=200 -c fsync=on" >&2
fi
for _ in $(seq 1 30); do
  if "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q; then break; fi
  sleep 0.5
done
"$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q || { log "le serveur ne répond pas"; exit 1; }
echo "postgresql://postgres@127.0.0.1:$PORT/postgres"

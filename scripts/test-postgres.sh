#!/usr/bin/env bash
# Prints the URL of a PostgreSQL server for the tests, starting a throwaway one if needed.
#
# Order: $VERWIJSFLOW_TEST_PG_URL if set; else our throwaway server if it already runs;
# else start one from Debian's PostgreSQL packages (installing them with apt-get when we
# are root and they are missing). Everything it says goes to stderr; stdout is the URL.
set -euo pipefail

PORT="${VERWIJSFLOW_TEST_PG_PORT:-55432}"
DIR="${VERWIJSFLOW_TEST_PG_DIR:-/tmp/verwijsflow-pg-$PORT}"
URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"

say() { echo "test-postgres: $*" >&2; }
fail() { say "$*"; say "PostgreSQL-tests kunnen niet draaien. Zet VERWIJSFLOW_TEST_PG_URL naar een server, of installeer Debian's pakket 'postgresql'."; exit 1; }

if [ -n "${VERWIJSFLOW_TEST_PG_URL:-}" ]; then echo "$VERWIJSFLOW_TEST_PG_URL"; exit 0; fi

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
BIN="$(bindir)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "PostgreSQL ontbreekt; installeren met apt-get (Debian-pakket postgresql)..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2 \
      || fail "apt-get install postgresql is mislukt."
    BIN="$(bindir)"
  fi
  [ -n "$BIN" ] && [ -x "$BIN/initdb" ] || fail "geen PostgreSQL-binaries gevonden in /usr/lib/postgresql/*/bin."
fi

# PostgreSQL refuses to run as root: run it as the postgres user, which must own the data dir.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || fail "gebruiker 'postgres' bestaat niet."
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

if [ -f "$DIR/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  echo "$URL"; exit 0
fi

if [ ! -f "$DIR/data/PG_VERSION" ]; then
  say "nieuwe wegwerpserver in $DIR (poort $PORT)"
  rm -rf "$DIR"; mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  as_pg "$BIN/initdb" -D "$DIR/data" -A trust -U postgres --no-sync >/dev/null || fail "initdb is mislukt."
fi
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
  || { cat "$DIR/log" >&2 || true; fail "de server start niet (zie log hierboven)."; }
say "draait op poort $PORT"
echo "$URL"

#!/usr/bin/env bash
# Command 2: install everything (system packages included) and run the whole test suite on SQLite
# and PostgreSQL, browser tests in Debian Chromium included. Fails loudly when anything is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- system packages (Debian), only when missing -------------------------------------------------
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
source scripts/_python.sh
# shellcheck disable=SC2207
missing+=($(pdf_packages_missing))
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  command -v apt-get >/dev/null || { echo "need apt-get to install ${missing[*]}" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Python environment -------------------------------------------------------------------------
echo "==> installing greenfin and test dependencies (requirements.lock)"
ensure_venv "[test]"

# --- PostgreSQL: the running server on 127.0.0.1:5432 if it answers, else a throwaway cluster ----
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PG_DB="greenfin_test_$$"
cleanup() { :; }
# GREENFIN_TEST_PG_MODE=throwaway forces the private cluster even where a server answers on 5432.
if [ "${GREENFIN_TEST_PG_MODE:-auto}" != "throwaway" ] &&
  "$PGBIN/psql" -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
  echo "==> PostgreSQL on 127.0.0.1:5432: using a fresh database $PG_DB"
  "$PGBIN/psql" -h 127.0.0.1 -p 5432 -U postgres -d postgres -qc "CREATE DATABASE $PG_DB"
  export GREENFIN_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$PG_DB"
  cleanup() {
    "$PGBIN/psql" -h 127.0.0.1 -p 5432 -U postgres -d postgres -qc \
      "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  }
else
  PGPORT=${GREENFIN_TEST_PGPORT:-54329}
  PGROOT=$(mktemp -d /tmp/greenfin-pg.XXXXXX)
  echo "==> no PostgreSQL on 127.0.0.1:5432: starting a throwaway cluster on port $PGPORT"
  id postgres >/dev/null 2>&1 || useradd --system --home "$PGROOT" postgres
  chown postgres:postgres "$PGROOT"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 \
    --locale=C.UTF-8 >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -qc "CREATE DATABASE $PG_DB"
  export GREENFIN_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/$PG_DB"
  cleanup() {
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PGROOT"
  }
fi
trap cleanup EXIT
export GREENFIN_REQUIRE_PG=1

# --- lint, format, tests ------------------------------------------------------------------------
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "==> pytest (SQLite and PostgreSQL; browser tests in $(/usr/bin/chromium --version 2>/dev/null | tail -1))"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a broken test command, not a pass" >&2
  exit 1
fi
exit "$status"

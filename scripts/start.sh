#!/usr/bin/env bash
# Command 1: install greenfin and start it on the embedded default (SQLite in ./var), loading the
# synthetic demo data on first run. Prints the URL and the demo log-ins.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_python.sh
ensure_venv ""
exec .venv/bin/greenfin serve --demo --host "${GREENFIN_HOST:-127.0.0.1}" --port "${GREENFIN_PORT:-8000}"

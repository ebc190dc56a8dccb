#!/usr/bin/env bash
# Command 1: install greenfin and start it on the embedded default (SQLite in ./var), loading the
# synthetic demo data on first run. Prints the URL and the demo log-ins.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_python.sh
pdf_missing=$(pdf_packages_missing)
if [ -n "$pdf_missing" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "==> installing for PDF reports: $pdf_missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pdf_missing >/dev/null
  else
    echo "warning: PDF reports need: $pdf_missing (install them; HTML reports work without)" >&2
  fi
fi
ensure_venv ""
exec .venv/bin/greenfin serve --demo --host "${GREENFIN_HOST:-127.0.0.1}" --port "${GREENFIN_PORT:-8000}"

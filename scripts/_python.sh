# Shared by start.sh and test.sh: a Python 3.11 virtual environment with greenfin installed from
# the pinned lock file. Sourced, not executed. Usage: ensure_venv "" | ensure_venv "[test]"
ensure_venv() {
  local extras="$1"
  local py="${GREENFIN_PYTHON:-}"
  if [ -z "$py" ]; then
    for candidate in python3.11 python3; do
      if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        py="$candidate"
        break
      fi
    done
  fi
  [ -n "$py" ] || { echo "greenfin needs Python 3.11 (set GREENFIN_PYTHON)" >&2; exit 1; }
  if [ ! -x .venv/bin/python ]; then
    if ! "$py" -m venv .venv 2>/dev/null; then
      # Debian's system Python ships venv separately.
      rm -rf .venv
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-venv >/dev/null
      "$py" -m venv .venv
    fi
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c requirements.lock -e ".${extras}"
}

# PDF reports (disclosure, certificates) need pango (WeasyPrint) and a CJK TrueType font; WenQuanYi
# Micro Hei renders in about a second where Noto CJK takes several. Usage: ensure_pdf_packages
pdf_packages_missing() {
  local missing=()
  ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  fc-list 2>/dev/null | grep -qi 'WenQuanYi Micro Hei' || missing+=(fonts-wqy-microhei)
  echo "${missing[@]:-}"
}

#!/usr/bin/env bash
# One entry point for a fresh machine with Python 3.11+:
#   bash dev.sh app    set up .venv and start the app on http://localhost:8501
#   bash dev.sh test   set up .venv (and Chromium and nginx for the browser and cluster tests) and run every test
#   bash dev.sh cluster N [--port 8080]   N app processes behind nginx (sticky sessions) on loopback
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}

venv() {  # create .venv and install a requirements file, only when it changed
  local req=$1
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  local stamp=".venv/.installed-$(basename "$req")"
  if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$req"
    touch "$stamp"
  fi
}

install_chromium() {  # the browser tests and image export use Debian's Chromium, never a downloaded one
  # (a file test, not `command -v chromium`: that once found a shell function of this name)
  [ -x /usr/bin/chromium ] && return 0
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

install_nginx() {  # Debian's nginx, for `cluster` and its test
  [ -x /usr/sbin/nginx ] && return 0
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx >/dev/null
}

case "${1:-}" in
  app)
    venv requirements.txt
    # serve.py starts the server at once and, in the background, loads the kernels (after an
    # install: compiles them, 5 to 10 s for a first page and 10 to 25 s more for the batch
    # kernel that typed formulas and sweeps use); a page that arrives sooner shows a spinner.
    exec .venv/bin/streamlit run serve.py "${@:2}"
    ;;
  test)
    venv requirements-dev.txt
    install_chromium
    install_nginx
    .venv/bin/ruff check .
    .venv/bin/lint-imports --no-cache  # the layers in pyproject.toml: optviz points down, never at Streamlit, no cycles
    exec .venv/bin/python -m pytest "${@:2}"
    ;;
  cluster)
    venv requirements.txt
    install_nginx
    exec .venv/bin/python -m server.cluster "${@:2}"
    ;;
  *)
    echo "usage: bash dev.sh app | test [pytest args] | cluster N [--port P]" >&2
    exit 2
    ;;
esac

#!/bin/sh
# Install what the tests need, then run every test: sh scripts/test.sh [pytest args]
#  - Debian's chromium and chromium-driver for the browser tests, where missing;
#  - a virtual environment in .venv with requirements-test.txt;
#  - ruff (lint), then pytest.
set -eu
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt

.venv/bin/ruff check --quiet .  # lint first: unused imports, likely bugs, import order
exec .venv/bin/python -m pytest "$@"

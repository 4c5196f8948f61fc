#!/bin/sh
# Install what the tests need, then run every test: sh scripts/test.sh [pytest args]
#  - Debian's chromium and chromium-driver for the browser tests, a JRE and node for the
#    outside judges (tests/judges), where missing;
#  - the judges themselves from package-lock.json (the Nu Html Checker, Lighthouse), when it changed;
#  - a virtual environment in .venv with requirements-test.txt;
#  - ruff (lint), then pytest.
set -eu
cd "$(dirname "$0")/.."

MISSING=""
command -v chromium >/dev/null 2>&1 || MISSING="$MISSING chromium"
command -v chromedriver >/dev/null 2>&1 || MISSING="$MISSING chromium-driver"
command -v java >/dev/null 2>&1 || MISSING="$MISSING default-jre-headless"
command -v npm >/dev/null 2>&1 || MISSING="$MISSING nodejs npm"
if [ -n "$MISSING" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086  # one word a package
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $MISSING >/dev/null
fi

# npm's own record of what it installed is newer than the lock file once it is in place.
# --ignore-scripts: vnu-jar's install script would fetch a Java of its own; Debian's JRE runs it.
if [ ! node_modules/.package-lock.json -nt package-lock.json ]; then
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt

.venv/bin/ruff check --quiet .  # lint first: unused imports, likely bugs, import order
exec .venv/bin/python -m pytest "$@"

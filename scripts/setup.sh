#!/usr/bin/env bash
# Create .venv (if missing) and install the SDK into it with the given extras.
# Usage: scripts/setup.sh [extras]   e.g. scripts/setup.sh dev
# pip's output is kept in .venv/install.log and shown only when the install fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
spec="."
[ -n "${1:-}" ] && spec=".[$1]"
if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec" > .venv/install.log 2>&1; then
  cat .venv/install.log >&2
  echo "scripts/setup.sh: installing $spec failed (log above)" >&2
  exit 1
fi

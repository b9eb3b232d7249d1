#!/usr/bin/env bash
# Create .venv (if missing) and install the SDK into it, editable, with the given extras.
# Usage: scripts/setup.sh [extras]   e.g. scripts/setup.sh dev
# The install is skipped when nothing it depends on changed since the last one with these extras: a stamp in
# .venv holds a hash of pyproject.toml, the extras and the venv's Python version. Code changes need no
# reinstall (the install is editable); a change to pyproject.toml installs again.
# pip's output is kept in .venv/install.log and shown only when the install fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip > .venv/install.log 2>&1; then
    cat .venv/install.log >&2
    echo "scripts/setup.sh: upgrading pip in .venv failed (log above)" >&2
    exit 1
  fi
fi
extras="${1:-}"
spec="."
[ -n "$extras" ] && spec=".[$extras]"
stamp_file=".venv/setup-stamp.${extras:-base}"
stamp="$({ cat pyproject.toml; echo "extras=$extras"; .venv/bin/python -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  exit 0
fi
rm -f "$stamp_file"
if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec" > .venv/install.log 2>&1; then
  cat .venv/install.log >&2
  echo "scripts/setup.sh: installing $spec failed (log above)" >&2
  exit 1
fi
echo "$stamp" > "$stamp_file"

#!/usr/bin/env bash
# Make sure the programs the tests start are installed, from Debian's packages when one is missing:
# redis-server (the Redis tests start their own servers with it, tests/_redis.py; the Debian service is
# neither needed nor relied on) and tmux (the command line's real-terminal tests, tests/test_cli_terminal.py).
# Usage: bash scripts/debian-packages.sh [PROGRAM:PACKAGE ...]   (default: redis-server:redis-server tmux:tmux)
# apt-get's output is kept in .venv/apt-install.log (APT_INSTALL_LOG overrides) and shown only on failure.
# Without root or apt-get it says what to install by hand; the tests that need a missing program are skipped
# with a reason that names it.

program_path() {
  command -v "$1" 2>/dev/null || { [ -x "/usr/bin/$1" ] && echo "/usr/bin/$1"; } || return 1
}

ensure_packages() {
  local root log wanted=() pair program package
  for pair in "$@"; do
    program="${pair%%:*}"
    package="${pair#*:}"
    program_path "$program" > /dev/null || wanted+=("$package")
  done
  [ "${#wanted[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null 2>&1; then
    echo "scripts/debian-packages.sh: missing ${wanted[*]}; installing needs root and apt-get:" >&2
    echo "scripts/debian-packages.sh: install them yourself (sudo apt-get install ${wanted[*]});" >&2
    echo "scripts/debian-packages.sh: until then the tests that need them are skipped." >&2
    return 0
  fi
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  log="${APT_INSTALL_LOG:-$root/.venv/apt-install.log}"
  mkdir -p "$(dirname "$log")"
  : > "$log"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
  # The package lists may be missing or stale on a fresh machine: update them only when the install fails.
  if ! "${apt[@]}" install -y -qq "${wanted[@]}" >> "$log" 2>&1; then
    echo "--- apt-get install failed: apt-get update, then one more try" >> "$log"
    if ! { "${apt[@]}" update -qq >> "$log" 2>&1 && "${apt[@]}" install -y -qq "${wanted[@]}" >> "$log" 2>&1; }; then
      cat "$log" >&2
      echo "scripts/debian-packages.sh: installing ${wanted[*]} failed (log above)" >&2
      return 1
    fi
  fi
  for pair in "$@"; do
    program="${pair%%:*}"
    if ! program_path "$program" > /dev/null; then
      cat "$log" >&2
      echo "scripts/debian-packages.sh: installed, but no $program program was found" >&2
      return 1
    fi
  done
  echo "scripts/debian-packages.sh: installed ${wanted[*]}" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail # run as a script; when sourced, leave the caller's shell options alone
fi
if [ "$#" -eq 0 ]; then
  set -- redis-server:redis-server tmux:tmux
fi
ensure_packages "$@"

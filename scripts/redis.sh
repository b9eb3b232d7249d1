#!/usr/bin/env bash
# Make sure a redis-server binary is installed: the Redis tests start their own servers with it
# (tests/_redis.py), so the Debian service is neither needed nor relied on.
# Usage: bash scripts/redis.sh      (or source it: it defines and runs ensure_redis_server)
# apt-get's output is kept in .venv/redis-install.log (REDIS_INSTALL_LOG overrides) and shown only on failure.

redis_server_binary() {
  if command -v redis-server > /dev/null 2>&1; then
    command -v redis-server
  elif [ -x /usr/bin/redis-server ]; then
    echo /usr/bin/redis-server
  else
    return 1
  fi
}

ensure_redis_server() {
  local root log binary
  if redis_server_binary > /dev/null; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/redis.sh: redis-server is not installed and installing it needs root." >&2
    echo "scripts/redis.sh: install the Debian package yourself (sudo apt-get install redis-server);" >&2
    echo "scripts/redis.sh: until then the tests that need Redis are skipped." >&2
    return 0
  fi
  if ! command -v apt-get > /dev/null 2>&1; then
    echo "scripts/redis.sh: redis-server is not installed and there is no apt-get to install it with:" >&2
    echo "scripts/redis.sh: install Redis (redis-server on PATH) by hand; until then the Redis tests are skipped." >&2
    return 0
  fi
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  log="${REDIS_INSTALL_LOG:-$root/.venv/redis-install.log}"
  mkdir -p "$(dirname "$log")"
  : > "$log"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
  # The package lists may be missing or stale on a fresh machine: update them only when the install fails.
  if ! "${apt[@]}" install -y -qq redis-server >> "$log" 2>&1; then
    echo "--- apt-get install failed: apt-get update, then one more try" >> "$log"
    if ! { "${apt[@]}" update -qq >> "$log" 2>&1 && "${apt[@]}" install -y -qq redis-server >> "$log" 2>&1; }; then
      cat "$log" >&2
      echo "scripts/redis.sh: installing the Debian package redis-server failed (log above)" >&2
      return 1
    fi
  fi
  if ! binary="$(redis_server_binary)"; then
    cat "$log" >&2
    echo "scripts/redis.sh: the package redis-server is installed but no redis-server binary was found" >&2
    return 1
  fi
  echo "scripts/redis.sh: installed $("$binary" --version | head -n 1)" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail # run as a script; when sourced, leave the caller's shell options alone
fi
ensure_redis_server

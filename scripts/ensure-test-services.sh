#!/usr/bin/env sh
# Runs before `npm test`: the tests use a real Redis and a real Chromium.
# Starts Redis if it is not running and installs Debian's chromium if missing.
set -e
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "[tests] starting redis-server on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    i=0; until redis-cli ping >/dev/null 2>&1 || [ $i -ge 50 ]; do i=$((i+1)); sleep 0.1; done
  else
    echo "[tests] Redis is not running and redis-server is not installed (apt-get install redis-server)" >&2
    exit 1
  fi
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "[tests] installing Debian chromium for the browser tests"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

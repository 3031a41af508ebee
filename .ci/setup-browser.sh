#!/bin/sh
# Install what the Perfetto UI tests and README screenshots need: Debian's chromium
# (apt) and playwright-core in tools/ptq (npm; it downloads no browser). Idempotent,
# quiet; safe to run on every CI start. Needs Node >= 18 and npm already installed.
set -eu
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

if [ ! -d tools/ptq/node_modules/playwright-core ]; then
    command -v npm >/dev/null 2>&1 || { echo "setup-browser: npm not found" >&2; exit 1; }
    if [ -f tools/ptq/package-lock.json ]; then
        (cd tools/ptq && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    else
        (cd tools/ptq && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    fi
fi

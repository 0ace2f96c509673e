#!/usr/bin/env bash
# Browser tests drive Debian's chromium (a browser download cannot work here).
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
    echo "chromium is missing: run 'sudo apt-get install chromium'" >&2
    exit 1
fi
echo "installing chromium from Debian" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

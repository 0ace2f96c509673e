#!/usr/bin/env bash
# `make dev`: migrate the development database, start the sandbox fakes, and
# serve Juragan with the built SPA at http://127.0.0.1:8080.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export DATABASE_URL=${DATABASE_URL:-$PG_SERVER_URL/juragan}
export REDIS_URL
export HTTP_ADDR=${HTTP_ADDR:-127.0.0.1:8080}
export FRONTEND_DIST=${FRONTEND_DIST:-$root/frontend/dist}
export SANDBOX_SMTP_ADDR=${SANDBOX_SMTP_ADDR:-127.0.0.1:2525}
export SANDBOX_HTTP_ADDR=${SANDBOX_HTTP_ADDR:-127.0.0.1:8025}
export SMTP_URL=${SMTP_URL:-smtp://$SANDBOX_SMTP_ADDR}
export SANDBOX_TELEGRAM_ADDR=${SANDBOX_TELEGRAM_ADDR:-127.0.0.1:8081}
export SANDBOX_TELEGRAM_TOKEN=${SANDBOX_TELEGRAM_TOKEN:-123456:sandbox-token}
export TELEGRAM_API_BASE_URL=${TELEGRAM_API_BASE_URL:-http://$SANDBOX_TELEGRAM_ADDR}
export SANDBOX_RDAP_ADDR=${SANDBOX_RDAP_ADDR:-127.0.0.1:8026}
export RDAP_BOOTSTRAP_URL=${RDAP_BOOTSTRAP_URL:-http://$SANDBOX_RDAP_ADDR/rdap/dns.json}
# The demo hosts (crates/api/src/demo/mod.rs) are this machine's own ports.
export MONITOR_ALLOW_LOOPBACK_FOR_TESTS=${MONITOR_ALLOW_LOOPBACK_FOR_TESTS:-true}
export TELEGRAM_BOT_TOKEN=${TELEGRAM_BOT_TOKEN:-$SANDBOX_TELEGRAM_TOKEN}

PG_SERVER_URL=$PG_SERVER_URL scripts/test-database.sh juragan
target/debug/juragan migrate
target/debug/juragan seed-demo

target/debug/sandbox &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true' EXIT

cat <<MSG

  Juragan       http://$HTTP_ADDR
  API docs      http://$HTTP_ADDR/api/docs/
  Sandbox fakes http://$SANDBOX_HTTP_ADDR  (mail sink: SMTP on $SANDBOX_SMTP_ADDR,
                Telegram Bot API on $SANDBOX_TELEGRAM_ADDR, RDAP on $SANDBOX_RDAP_ADDR)

MSG
target/debug/juragan serve

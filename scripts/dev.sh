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
# Payment gateway fakes; the demo seed points the shop's gateways at them
# (crates/api/src/demo/payments.rs), and they notify this app.
export SANDBOX_MIDTRANS_ADDR=${SANDBOX_MIDTRANS_ADDR:-127.0.0.1:8027}
export SANDBOX_XENDIT_ADDR=${SANDBOX_XENDIT_ADDR:-127.0.0.1:8028}
export SANDBOX_PAKASIR_ADDR=${SANDBOX_PAKASIR_ADDR:-127.0.0.1:8029}
export SANDBOX_MIDTRANS_NOTIFICATION_URL=${SANDBOX_MIDTRANS_NOTIFICATION_URL:-http://$HTTP_ADDR/api/v1/payments/webhooks/midtrans}
export SANDBOX_XENDIT_CALLBACK_URL=${SANDBOX_XENDIT_CALLBACK_URL:-http://$HTTP_ADDR/api/v1/payments/webhooks/xendit}
export SANDBOX_PAKASIR_WEBHOOK_URL=${SANDBOX_PAKASIR_WEBHOOK_URL:-http://$HTTP_ADDR/api/v1/payments/webhooks/pakasir/demopakasirwebhooktoken0123456789}

# Provisioning fakes: Proxmox VE, WHM and the domain registrar. The demo
# seed adds them as integrations and syncs them, so the sandbox runs first.
export SANDBOX_PROXMOX_ADDR=${SANDBOX_PROXMOX_ADDR:-127.0.0.1:8030}
export SANDBOX_WHM_ADDR=${SANDBOX_WHM_ADDR:-127.0.0.1:8031}
export SANDBOX_REGISTRAR_ADDR=${SANDBOX_REGISTRAR_ADDR:-127.0.0.1:8032}
export REGISTRAR_URL=${REGISTRAR_URL:-http://$SANDBOX_REGISTRAR_ADDR/api/}
export REGISTRAR_AUTH_USERID=${REGISTRAR_AUTH_USERID:-712345}
export REGISTRAR_API_KEY=${REGISTRAR_API_KEY:-jrgnSandboxResellerClubApiKey2026}
export REGISTRAR_CUSTOMER_ID=${REGISTRAR_CUSTOMER_ID:-20123456}
export PROVISIONING_TASK_POLL_MS=${PROVISIONING_TASK_POLL_MS:-300}

target/debug/sandbox &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://$SANDBOX_HTTP_ADDR/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

PG_SERVER_URL=$PG_SERVER_URL scripts/test-database.sh juragan
target/debug/juragan migrate
target/debug/juragan seed-demo

cat <<MSG

  Juragan       http://$HTTP_ADDR
  API docs      http://$HTTP_ADDR/api/docs/
  Sandbox fakes http://$SANDBOX_HTTP_ADDR  (mail sink: SMTP on $SANDBOX_SMTP_ADDR,
                Telegram Bot API on $SANDBOX_TELEGRAM_ADDR, RDAP on $SANDBOX_RDAP_ADDR,
                Midtrans $SANDBOX_MIDTRANS_ADDR, Xendit $SANDBOX_XENDIT_ADDR, Pakasir $SANDBOX_PAKASIR_ADDR,
                Proxmox $SANDBOX_PROXMOX_ADDR, WHM $SANDBOX_WHM_ADDR, registrar $SANDBOX_REGISTRAR_ADDR)

MSG
target/debug/juragan serve

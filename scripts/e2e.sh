#!/usr/bin/env bash
# Browser end-to-end tests: a fresh database, the sandbox fakes and a real
# `juragan serve` on free loopback ports, the built SPA, then the Playwright
# scripts in frontend/e2e against it. Everything started here is stopped here.
#
# Needs: .local/services.env (scripts/services.sh), target/debug/juragan and
# target/debug/sandbox built (under $CARGO_TARGET_DIR when that is set), frontend/dist built.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck disable=SC1091
source .local/services.env
bin="${CARGO_TARGET_DIR:-$root/target}/debug"

database="juragan_e2e_$$"
http_port=$(scripts/free-port.sh)
smtp_port=$(scripts/free-port.sh)
sandbox_port=$(scripts/free-port.sh)
telegram_port=$(scripts/free-port.sh)
rdap_port=$(scripts/free-port.sh)
midtrans_port=$(scripts/free-port.sh)
xendit_port=$(scripts/free-port.sh)
pakasir_port=$(scripts/free-port.sh)
proxmox_port=$(scripts/free-port.sh)
whm_port=$(scripts/free-port.sh)
registrar_port=$(scripts/free-port.sh)
routeros_api_port=$(scripts/free-port.sh)
routeros_rest_port=$(scripts/free-port.sh)
logs="$root/frontend/test-results"
mkdir -p "$logs"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    psql "$PG_SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql "$PG_SERVER_URL/postgres" -qc "CREATE DATABASE $database" >/dev/null
export APP_ENV=test
export DATABASE_URL="$PG_SERVER_URL/$database"
export REDIS_URL
export REDIS_KEY_PREFIX="e2e:$$:"
export HTTP_ADDR="127.0.0.1:$http_port"
export PUBLIC_BASE_URL="http://127.0.0.1:$http_port"
# The monitoring journey adds hosts on this machine's own ports.
export MONITOR_ALLOW_LOOPBACK_FOR_TESTS=true
export SMTP_URL="smtp://127.0.0.1:$smtp_port"
export SANDBOX_SMTP_ADDR="127.0.0.1:$smtp_port"
export SANDBOX_HTTP_ADDR="127.0.0.1:$sandbox_port"
export SANDBOX_TELEGRAM_ADDR="127.0.0.1:$telegram_port"
export TELEGRAM_API_BASE_URL="http://127.0.0.1:$telegram_port"
export TELEGRAM_BOT_TOKEN="123456:sandbox-token"
export TELEGRAM_POLL_INTERVAL_SECONDS=1
export SANDBOX_RDAP_ADDR="127.0.0.1:$rdap_port"
export RDAP_BOOTSTRAP_URL="http://127.0.0.1:$rdap_port/rdap/dns.json"
# The payment gateway fakes, off the fixed ports of `make dev`.
export SANDBOX_MIDTRANS_ADDR="127.0.0.1:$midtrans_port"
export SANDBOX_XENDIT_ADDR="127.0.0.1:$xendit_port"
export SANDBOX_PAKASIR_ADDR="127.0.0.1:$pakasir_port"
# Where the fakes send their notifications: this run's app. The Pakasir
# secret is the one a journey saves with the gateway's settings.
export E2E_PAKASIR_WEBHOOK_TOKEN="e2epakasirwebhooktoken0123456789"
export SANDBOX_MIDTRANS_NOTIFICATION_URL="$PUBLIC_BASE_URL/api/v1/payments/webhooks/midtrans"
export SANDBOX_XENDIT_CALLBACK_URL="$PUBLIC_BASE_URL/api/v1/payments/webhooks/xendit"
export SANDBOX_PAKASIR_WEBHOOK_URL="$PUBLIC_BASE_URL/api/v1/payments/webhooks/pakasir/$E2E_PAKASIR_WEBHOOK_TOKEN"
# The provisioning fakes (Proxmox VE, WHM, the registrar); a journey adds
# them as integrations. Tasks take 300 ms and are looked at every 200 ms, so a
# VPS is delivered in a few seconds.
export SANDBOX_PROXMOX_ADDR="127.0.0.1:$proxmox_port"
export SANDBOX_PROXMOX_TASK_MS=300
export SANDBOX_WHM_ADDR="127.0.0.1:$whm_port"
export SANDBOX_REGISTRAR_ADDR="127.0.0.1:$registrar_port"
export REGISTRAR_URL="http://127.0.0.1:$registrar_port/api/"
export REGISTRAR_AUTH_USERID=712345
export REGISTRAR_API_KEY=jrgnSandboxResellerClubApiKey2026
export REGISTRAR_CUSTOMER_ID=20123456
export PROVISIONING_TASK_POLL_MS=200
# The MikroTik RouterOS fake (binary API, API-SSL, REST with the test
# control routes); the ISP journey adds it as a router.
export SANDBOX_ROUTEROS_API_ADDR="127.0.0.1:$routeros_api_port"
# API-SSL and REST over HTTPS are not driven by a journey: the kernel picks
# their ports when they bind (a port picked here earlier can be taken by
# then).
export SANDBOX_ROUTEROS_API_TLS_ADDR="127.0.0.1:0"
export SANDBOX_ROUTEROS_REST_ADDR="127.0.0.1:$routeros_rest_port"
export SANDBOX_ROUTEROS_REST_TLS_ADDR="127.0.0.1:0"
export FRONTEND_DIST="$root/frontend/dist"

"$bin/juragan" migrate >"$logs/migrate.log" 2>&1
# The shop's first owner, created the way a real shop creates it.
export E2E_OWNER_EMAIL="owner@e2e.test"
export E2E_OWNER_PASSWORD="owner-e2e-password-1"
OWNER_PASSWORD="$E2E_OWNER_PASSWORD" "$bin/juragan" create-owner --email "$E2E_OWNER_EMAIL" --name "Pemilik E2E" >>"$logs/migrate.log" 2>&1
"$bin/sandbox" >"$logs/sandbox.log" 2>&1 &
pids+=($!)
"$bin/juragan" serve >"$logs/juragan.log" 2>&1 &
pids+=($!)

# Ready means /readyz answers 200 (database and Redis both up); bounded wait.
for attempt in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; then break; fi
    if [ "$attempt" = 100 ]; then
        echo "e2e: juragan did not become ready; log follows" >&2
        cat "$logs/juragan.log" >&2
        exit 1
    fi
    sleep 0.2
done

export BASE_URL="http://127.0.0.1:$http_port"
export SANDBOX_URL="http://127.0.0.1:$sandbox_port"
status=0
# E2E_ONLY=identity runs one journey (frontend/e2e/identity.e2e.mjs).
for test in frontend/e2e/${E2E_ONLY:-*}.e2e.mjs; do
    # The gateway journeys need the payment gateways' sandbox fakes: run only when asked by name.
    echo "e2e: $test"
    # Every journey signs in from 127.0.0.1, most as the same owner: each
    # starts with fresh budgets (rate limits, sign-in code caps and resend
    # cooldowns), as it would alone, instead of inheriting the attempts of
    # the journeys before it.
    for budget in rl otp:cap otp:cooldown; do
        redis-cli -u "$REDIS_URL" --scan --pattern "${REDIS_KEY_PREFIX}${budget}:*" |
            xargs -r redis-cli -u "$REDIS_URL" del >/dev/null
    done
    node "$test" || status=1
done
exit $status

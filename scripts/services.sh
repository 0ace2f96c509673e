#!/usr/bin/env bash
# Finds PostgreSQL and Redis for `make dev` / `make test`, or starts local ones.
#
# 1. A server already answering on 127.0.0.1:5432 (trust auth, user postgres)
#    and a Redis on 127.0.0.1:6379 are used as they are.
# 2. Otherwise a private PostgreSQL (port 55432) and Redis (port 56379) are
#    started with their data under .local/, installing the Debian packages
#    first when they are missing and we are allowed to (root, apt-get).
#
# Writes .local/services.env with PG_SERVER_URL (no database name) and
# REDIS_URL, for the Makefile to source.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
local_dir="$root/.local"
mkdir -p "$local_dir"
env_file="$local_dir/services.env"

log() { echo "services: $*" >&2; }

apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        log "cannot install $* (needs root and apt-get); install it and re-run"
        exit 1
    fi
    log "installing $* from Debian"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; then
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
}

pg_answers() { # host port
    command -v psql >/dev/null && psql "postgres://postgres@$1:$2/postgres" -Atqc 'select 1' >/dev/null 2>&1
}

redis_answers() { # port
    command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]
}

# PRIVATE_SERVICES=1 skips the standard ports (to try the fallback path).
private=${PRIVATE_SERVICES:-0}

find_postgres() {
    if [ "$private" != 1 ] && pg_answers 127.0.0.1 5432; then
        echo "postgres://postgres@127.0.0.1:5432"
        return
    fi
    local port=55432 data="$local_dir/pg/data"
    if pg_answers 127.0.0.1 "$port"; then
        echo "postgres://postgres@127.0.0.1:$port"
        return
    fi
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$bin" ] || ! command -v psql >/dev/null; then
        apt_install postgresql postgresql-client
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    # initdb refuses to run as root: the cluster belongs to `postgres` then.
    local as=()
    if [ "$(id -u)" = 0 ]; then
        as=(runuser -u postgres --)
        mkdir -p "$local_dir/pg"
        chown -R postgres:postgres "$local_dir/pg"
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        log "initialising a local PostgreSQL cluster in $data"
        "${as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    log "starting local PostgreSQL on 127.0.0.1:$port"
    "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$local_dir/pg/server.log" -w \
        -o "-p $port -k $local_dir/pg -c listen_addresses=127.0.0.1" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port"
}

find_redis() {
    if [ "$private" != 1 ] && redis_answers 6379; then
        echo "redis://127.0.0.1:6379"
        return
    fi
    local port=56379
    if redis_answers "$port"; then
        echo "redis://127.0.0.1:$port"
        return
    fi
    command -v redis-server >/dev/null || apt_install redis-server
    mkdir -p "$local_dir/redis"
    log "starting local Redis on 127.0.0.1:$port"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --dir "$local_dir/redis" --pidfile "$local_dir/redis/redis.pid" --logfile "$local_dir/redis/redis.log"
    for _ in $(seq 50); do redis_answers "$port" && break; sleep 0.1; done
    echo "redis://127.0.0.1:$port"
}

pg_url=$(find_postgres)
redis_url=$(find_redis)
cat >"$env_file" <<ENV
PG_SERVER_URL=$pg_url
REDIS_URL=$redis_url
ENV
log "PostgreSQL at $pg_url, Redis at $redis_url"

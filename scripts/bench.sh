#!/usr/bin/env bash
# `make bench`: the benchmarks, built in release, each printing a Markdown
# section; joined into BENCHMARKS.md with the machine they ran on. Ratios are
# measured within one run: absolute times on a shared small VM are noise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="$root/BENCHMARKS.md"
sections=$(mktemp)
trap 'rm -f "$sections"' EXIT

export BENCH_PG_SERVER_URL=$PG_SERVER_URL
export REDIS_URL
cargo bench -p jobs --bench queue_throughput >>"$sections"
cargo bench -p api --bench auth_overhead >>"$sections"
cargo bench -p notify --bench telegram_broadcast >>"$sections"
cargo bench -p monitoring --bench port_sweep >>"$sections"
cargo bench -p monitoring --bench import_preview >>"$sections"
cargo bench -p api --bench import_path >>"$sections"
cargo bench -p api --bench catalog_load >>"$sections"
cargo bench -p api --bench checkout_load >>"$sections"
cargo bench -p api --bench provisioning_load >>"$sections"
cargo bench -p api --bench lifecycle_sweep >>"$sections"
cargo bench -p api --bench isp_sync >>"$sections"

{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $(nproc) cores,"
    echo "$(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
    echo "PostgreSQL $(psql "$PG_SERVER_URL/postgres" -Atqc 'show server_version'), $(rustc --version)."
    echo
    cat "$sections"
} >"$out"
cat "$out"

#!/usr/bin/env bash
# Creates the database (default juragan_test) if it does not exist yet. The
# Rust tests use it only as the place from which #[sqlx::test] creates a
# fresh database per test.
set -euo pipefail
name=${1:-juragan_test}
exists=$(psql "$PG_SERVER_URL/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'")
[ "$exists" = 1 ] || psql "$PG_SERVER_URL/postgres" -qc "CREATE DATABASE $name" >/dev/null

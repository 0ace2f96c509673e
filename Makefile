# Juragan — the two commands a newcomer needs are `make dev` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Builds never need a database: the sqlx macros read the committed .sqlx/.
export SQLX_OFFLINE := true
# Load the addresses scripts/services.sh found (or started).
SERVICES := set -a && source .local/services.env && set +a
NEXTEST := $(shell cargo nextest --version >/dev/null 2>&1 && echo "cargo nextest run --no-fail-fast" || echo "cargo test")

.PHONY: python-deps help dev test test-rust test-frontend test-e2e bench openapi sqlx-prepare lint services frontend-deps frontend-build chromium binaries clean

help:
	@echo "make dev      run everything (demo data, sandbox fakes) at http://127.0.0.1:8080"
	@echo "make test     every test: Rust, SPA unit, browser end-to-end"
	@echo "make lint     rustfmt, clippy, ESLint and the SPA type check"
	@echo "make bench    benchmarks (release build), written to BENCHMARKS.md"
	@echo "make openapi  regenerate openapi/openapi.json and the SPA's typed client"

services:
	@scripts/services.sh

frontend/node_modules/.package-lock.json: frontend/package-lock.json frontend/package.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend-deps: frontend/node_modules/.package-lock.json

frontend-build: frontend-deps
	cd frontend && npm run build

chromium:
	@test -x /usr/bin/chromium || scripts/install-chromium.sh

binaries:
	cargo build -p api -p sandbox --bins

dev: services frontend-build binaries
	$(SERVICES) && scripts/dev.sh

test: services frontend-deps chromium test-rust test-frontend test-e2e

# proxmoxer (PyPI) is the third-party Proxmox client the sandbox's fake is
# checked against (crates/sandbox/tests/proxmoxer_compat.py).
python-deps:
	@python3 -c 'import proxmoxer, requests, librouteros' 2>/dev/null || python3 -m pip install --quiet proxmoxer requests librouteros

test-rust: services python-deps
	$(SERVICES) && scripts/test-database.sh
	$(SERVICES) && DATABASE_URL="$$PG_SERVER_URL/juragan_test" $(NEXTEST) --workspace

test-frontend: frontend-deps
	cd frontend && npm run check:api && npm run test:unit && npm run build

test-e2e: services chromium frontend-build binaries
	scripts/e2e.sh

bench: services
	$(SERVICES) && scripts/bench.sh

openapi:
	cargo run -q -p api --bin juragan -- openapi --output openapi/openapi.json
	cd frontend && npm run gen:api

# Regenerates .sqlx/ after a query or migration changed (needs sqlx-cli).
sqlx-prepare: services
	command -v sqlx >/dev/null || cargo install sqlx-cli --no-default-features --features rustls,postgres,sqlx-toml
	$(SERVICES) && scripts/test-database.sh juragan_sqlx && \
	  DATABASE_URL="$$PG_SERVER_URL/juragan_sqlx" sqlx migrate run --source migrations && \
	  DATABASE_URL="$$PG_SERVER_URL/juragan_sqlx" SQLX_OFFLINE=false cargo sqlx prepare --workspace

# Formatting, Rust lints, ESLint and the SPA's type check: what CI runs before the tests.
lint: frontend-deps
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd frontend && npm run lint && npm run typecheck

clean:
	cargo clean
	rm -rf frontend/node_modules frontend/dist frontend/test-results

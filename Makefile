# pinbridge: the two commands a newcomer needs.
#   make run    set up, build, and run pinbridge (SQLite, with the local Pinterest simulator)
#   make test   set up, then lint and run every test on SQLite and PostgreSQL, and end to end

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# cargo-leptos sets this for its builds and leptos reads it with option_env!, so
# every other cargo command must see the same value or it rebuilds leptos and all
# that depends on it.
export LEPTOS_OUTPUT_NAME := pinbridge
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
export PINBRIDGE_BIN := $(TARGET_DIR)/release/pinbridge
export PINTEREST_SIM_BIN := $(TARGET_DIR)/release/pinterest-sim
# cargo-leptos writes the site under the workspace (site-root = "target/site"),
# even when CARGO_TARGET_DIR moves the compiled binaries elsewhere.
export PINBRIDGE_SITE_ROOT := $(CURDIR)/target/site
export PINBRIDGE_TEST_POSTGRES_URL ?=

.PHONY: help setup setup-test build run test lint test-sqlite test-postgres e2e sdk

help:
	@echo "make run   - set up, build and run pinbridge at http://127.0.0.1:3000"
	@echo "make test  - set up and run every check and test (SQLite and PostgreSQL, end to end)"

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test
	@scripts/api-tools.sh
	@scripts/mcp-tools.sh
	@scripts/webhook-tools.sh
	@scripts/metrics-tools.sh
	@scripts/sdk-tools.sh

# The server binary and hydrating site (release, wasm size-optimised), and the simulator.
build: setup
	cargo leptos build --release --precompress
	cargo build --release -p pinterest-sim

run: build
	@scripts/run.sh

test: setup-test lint test-sqlite test-postgres e2e
	@echo "make test: every check passed"

lint:
	cargo fmt --all -- --check
	scripts/check-cycles.py
	# The layers' promises: the domain builds without Leptos, the simulator without Leptos or sqlx.
	@deps=$$(cargo tree -p domain -e normal --prefix none); \
	if grep -qE '^leptos' <<<"$$deps"; then echo "lint: domain depends on Leptos" >&2; exit 1; fi
	@deps=$$(cargo tree -p pinterest-sim -e normal --prefix none); \
	if grep -qE '^(leptos|sqlx)' <<<"$$deps"; then echo "lint: pinterest-sim depends on Leptos or sqlx" >&2; exit 1; fi
	# Per package: building `app` with ssr and hydrate at once is not a real build.
	cargo clippy -p domain --all-targets -- -D warnings
	cargo clippy -p pinterest-sim --all-targets -- -D warnings
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p server --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

# The simulator's and the portal's own tests need no database: they run once.
# PINBRIDGE_API_CHECK=1: validate and fuzz the live API with the PyPI tools
# scripts/api-tools.sh installed (server/tests/http/api_fuzz.rs).
# PINBRIDGE_WEBHOOK_CHECK=1: verify every webhook with the Standard Webhooks
# library and validate it against the document's schemas, in the venv of
# scripts/webhook-tools.sh (server/tests/http/webhooks_sdk.rs).
# PINBRIDGE_METRICS_CHECK=1: read /metrics with the Prometheus client's parser,
# in the venv of scripts/metrics-tools.sh (server/tests/http/metrics.rs).
# PINBRIDGE_SDK_CHECK=1: regenerate the typed clients in sdk/ and compare them
# with the committed ones, and drive the live API with both, with the tools of
# scripts/sdk-tools.sh (server/tests/http/sdk_clients.rs).
test-sqlite:
	cargo test -p pinterest-sim
	cargo test -p app --features ssr
	PINBRIDGE_TEST_BACKEND=sqlite cargo test -p domain
	PINBRIDGE_TEST_BACKEND=sqlite PINBRIDGE_API_CHECK=1 PINBRIDGE_MCP_CHECK=1 PINBRIDGE_WEBHOOK_CHECK=1 PINBRIDGE_METRICS_CHECK=1 PINBRIDGE_SDK_CHECK=1 cargo test -p server

# postgres.sh available: 0 run it, 1 skip it (said loudly; never under CI), anything else fail.
test-postgres:
	@rc=0; scripts/postgres.sh available || rc=$$?; \
	if [ $$rc -gt 1 ]; then exit $$rc; fi; \
	if [ $$rc -eq 0 ]; then \
	  echo "== Rust tests on PostgreSQL ($$(scripts/postgres.sh url)) =="; \
	  scripts/postgres.sh sweep; \
	  PINBRIDGE_TEST_BACKEND=postgres PINBRIDGE_TEST_POSTGRES_URL="$$(scripts/postgres.sh url)" cargo test -p domain; \
	  PINBRIDGE_TEST_BACKEND=postgres PINBRIDGE_API_CHECK=1 PINBRIDGE_MCP_CHECK=1 PINBRIDGE_WEBHOOK_CHECK=1 PINBRIDGE_METRICS_CHECK=1 PINBRIDGE_SDK_CHECK=1 PINBRIDGE_TEST_POSTGRES_URL="$$(scripts/postgres.sh url)" cargo test -p server; \
	fi

e2e: build
	@echo "== end-to-end on SQLite =="
	cd end2end && playwright test
	@rc=0; scripts/postgres.sh available || rc=$$?; \
	if [ $$rc -gt 1 ]; then exit $$rc; fi; \
	if [ $$rc -eq 0 ]; then \
	  echo "== end-to-end on PostgreSQL =="; \
	  export PINBRIDGE_E2E_DATABASE_URL="$$(scripts/postgres.sh fresh-database pinbridge_e2e)"; \
	  cd end2end && playwright test; \
	fi

# The typed API clients (sdk/js: TypeScript, sdk/python: Python) regenerated
# from the OpenAPI document pinbridge serves: the document is written to
# sdk/openapi.json by the drift test (PINBRIDGE_SDK_WRITE=1; pinbridge in
# process, nothing else started), then both clients are generated from it.
# Commit sdk/ afterwards; make test fails while it is stale.
sdk:
	@scripts/sdk-tools.sh
	PINBRIDGE_TEST_BACKEND=sqlite PINBRIDGE_SDK_WRITE=1 cargo test -p server --test http \
	  sdk_clients::the_committed_clients_match_the_served_document -- --exact
	scripts/sdk-generate.sh sdk/openapi.json

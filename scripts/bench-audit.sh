#!/usr/bin/env bash
# The audit log's hash chain: BENCH_AUDIT_RECORDS records (default 50000)
# appended chained and inserted unchained in one run (their ratio is the
# chain's cost per record), then `pinbridge audit verify` over them, on
# PostgreSQL and on SQLite. Uses PINBRIDGE_BIN (the release binary `make build`
# makes) when it exists, else the test's debug binary. Rerunnable; only
# 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LEPTOS_OUTPUT_NAME=pinbridge
export BENCH_AUDIT_RECORDS="${BENCH_AUDIT_RECORDS:-50000}"
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PINBRIDGE_BIN="${PINBRIDGE_BIN:-$TARGET_DIR/release/pinbridge}"
run() {
  cargo test -p server --test binary audit::bench_audit_chain -- --ignored --nocapture 2>&1 \
    | grep -E '^bench-audit|test result|panicked|assert'
}
if [ -x "$PINBRIDGE_BIN" ]; then echo "binary: $PINBRIDGE_BIN"; else echo "binary: the debug build (no $PINBRIDGE_BIN)"; fi
rc=0; scripts/postgres.sh available || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "== PostgreSQL =="
  PINBRIDGE_TEST_BACKEND=postgres PINBRIDGE_TEST_POSTGRES_URL="$(scripts/postgres.sh url)" run
fi
echo "== SQLite =="
PINBRIDGE_TEST_BACKEND=sqlite run

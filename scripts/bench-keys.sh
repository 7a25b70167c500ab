#!/usr/bin/env bash
# The key rotation benchmark: `pinbridge keys rotate` over BENCH_CONNECTIONS
# connections (default 20000, so twice as many sealed tokens), with batches of
# 500 (the default) and of 50, on PostgreSQL and on SQLite. Prints the time and
# values per second of each. Uses PINBRIDGE_BIN (the release binary `make build`
# makes) when it exists, else the test's debug binary. Rerunnable; only
# 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LEPTOS_OUTPUT_NAME=pinbridge
export BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-20000}"
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PINBRIDGE_BIN="${PINBRIDGE_BIN:-$TARGET_DIR/release/pinbridge}"
run() {
  cargo test -p server --test binary keys::bench_key_rotation -- --ignored --nocapture 2>&1 \
    | grep -E '^bench-keys|test result|panicked|assert'
}
if [ -x "$PINBRIDGE_BIN" ]; then echo "binary: $PINBRIDGE_BIN"; else echo "binary: the debug build (no $PINBRIDGE_BIN)"; fi
rc=0; scripts/postgres.sh available || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "== PostgreSQL =="
  PINBRIDGE_TEST_BACKEND=postgres PINBRIDGE_TEST_POSTGRES_URL="$(scripts/postgres.sh url)" run
fi
echo "== SQLite =="
PINBRIDGE_TEST_BACKEND=sqlite run

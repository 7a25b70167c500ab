#!/usr/bin/env bash
# The portal at scale (issue 18): seeds an environment of BENCH_CONNECTIONS
# connections (default 100000: every state, BENCH_PROBES probes each, refresh
# history) and a workspace of BENCH_AUDIT audit records (default 1000000) in
# bulk, then requests each page an operator opens BENCH_REQUESTS times (default
# 40) through the real HTTP stack as a signed-in owner: the Connections list
# (unfiltered, each state, its last page, searches), a connection's page, the
# Integrations page, and the audit log (first and 1000th page, each filter).
# Prints the seeding time, p50 / p95 / max per page (target: p95 <= 50 ms) and
# the query plans at that size, on PostgreSQL (when it answers) and SQLite.
#   scripts/bench-scale.sh [sqlite|postgres|both]
# Uses PINBRIDGE_BIN (the release binary `make build` makes) when it exists,
# else the test's debug build (much slower pages). Rerunnable: each run seeds a
# fresh database and drops it afterwards; only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LEPTOS_OUTPUT_NAME=pinbridge
which=${1:-both}
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PINBRIDGE_BIN="${PINBRIDGE_BIN:-$TARGET_DIR/release/pinbridge}"
run() {
  cargo test -p server --test binary scale::bench_portal_at_scale -- --ignored --nocapture 2>&1 \
    | grep -E '^bench-scale|^  |test result|panicked|assert'
}
if [ -x "$PINBRIDGE_BIN" ]; then echo "binary: $PINBRIDGE_BIN"; else echo "binary: the debug build (no $PINBRIDGE_BIN)"; fi
if [ "$which" = postgres ] || [ "$which" = both ]; then
  rc=0; scripts/postgres.sh available || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "== PostgreSQL =="
    PINBRIDGE_TEST_BACKEND=postgres PINBRIDGE_TEST_POSTGRES_URL="$(scripts/postgres.sh url)" run
  elif [ "$which" = postgres ]; then
    echo "bench-scale: PostgreSQL does not answer (scripts/postgres.sh)" >&2; exit 1
  fi
fi
if [ "$which" = sqlite ] || [ "$which" = both ]; then
  echo "== SQLite =="
  PINBRIDGE_TEST_BACKEND=sqlite run
fi

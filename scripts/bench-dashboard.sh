#!/usr/bin/env bash
# The environment dashboard benchmark: `dashboard::load` (what the Overview
# page reads) with BENCH_CONNECTIONS connections (default 100000, about 8 %
# needing attention), BENCH_AUDIT audit records (default 1000000) and 35 days
# of aggregates for the environment and BENCH_ENVIRONMENTS others (default
# 200), timed BENCH_LOADS times (default 300): p50, p95 (must be at most
# 50 ms) and max; then the scheduler's count of connections per state and a
# prune. On PostgreSQL (when one answers) and on SQLite, release build of the
# test. Rerunnable; only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LEPTOS_OUTPUT_NAME=pinbridge
run() {
  cargo test --release -p domain --test services dashboard::bench_dashboard_load -- --ignored --nocapture 2>&1 \
    | grep -E '^bench-dashboard|test result|panicked|assert'
}
rc=0; scripts/postgres.sh available || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "== PostgreSQL =="
  PINBRIDGE_TEST_BACKEND=postgres PINBRIDGE_TEST_POSTGRES_URL="$(scripts/postgres.sh url)" run
fi
echo "== SQLite =="
PINBRIDGE_TEST_BACKEND=sqlite run

#!/usr/bin/env bash
# The refresh benchmark: two pinbridge processes' schedulers refresh N due
# connections (default 10000) against pinterest-sim, on SQLite and, when
# PostgreSQL is available (scripts/postgres.sh), on PostgreSQL. Prints total time,
# refreshes/second and the double-refresh count (must be 0) per backend.
# Only 127.0.0.1 is contacted. Rerunnable.
#
# Environment:
#   BENCH_CONNECTIONS  connections to refresh   (default 10000)
#   BENCH_PROFILE      cargo profile flag       (default --release; "" for debug)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LEPTOS_OUTPUT_NAME=pinbridge
export BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-10000}"
profile="${BENCH_PROFILE---release}"
run() {
  # shellcheck disable=SC2086
  cargo test $profile -p server --test http connections::bench_scheduler -- --ignored --nocapture 2>&1 \
    | grep -E '^bench-refresh|test result|panicked|assert'
}
echo "== SQLite =="
PINBRIDGE_TEST_BACKEND=sqlite run
rc=0; scripts/postgres.sh available || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "== PostgreSQL =="
  PINBRIDGE_TEST_BACKEND=postgres PINBRIDGE_TEST_POSTGRES_URL="$(scripts/postgres.sh url)" run
else
  echo "PostgreSQL not available: skipped"
fi

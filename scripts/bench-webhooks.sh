#!/usr/bin/env bash
# The webhook benchmark: two pinbridge processes on one database deliver N
# events seeded into the outbox (default 10000, round robin over 50
# connections) to a receiver on 127.0.0.1, on PostgreSQL (the headline figure;
# required unless BENCH_ALLOW_NO_POSTGRES=1) and on SQLite. Prints the time,
# events/second and the duplicate count (must be 0) per backend; the run also
# fails on a missing or out-of-order event. Only 127.0.0.1 is contacted.
# Rerunnable.
#
# Environment:
#   BENCH_EVENTS            events to deliver                       (default 10000)
#   BENCH_CONNECTIONS       connections they are spread over        (default 50)
#   BENCH_TEST_TIMING       1: the tests' 50 ms poll instead of the default 1 s
#   BENCH_PROFILE           cargo profile flag                      (default --release; "" for debug)
#   BENCH_ALLOW_NO_POSTGRES 1: SQLite alone when PostgreSQL is not available
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LEPTOS_OUTPUT_NAME=pinbridge
export BENCH_EVENTS="${BENCH_EVENTS:-10000}"
export BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-50}"
export BENCH_TEST_TIMING="${BENCH_TEST_TIMING:-0}"
profile="${BENCH_PROFILE---release}"
run() {
  # shellcheck disable=SC2086
  cargo test $profile -p server --test http webhooks_scale::bench_webhooks -- --ignored --nocapture 2>&1 \
    | grep -E '^bench-webhooks|test result|panicked|assert'
}
rc=0; scripts/postgres.sh available || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "== PostgreSQL =="
  PINBRIDGE_TEST_BACKEND=postgres PINBRIDGE_TEST_POSTGRES_URL="$(scripts/postgres.sh url)" run
elif [ "${BENCH_ALLOW_NO_POSTGRES:-0}" = 1 ]; then
  echo "PostgreSQL not available: skipped (BENCH_ALLOW_NO_POSTGRES=1)"
else
  echo "bench-webhooks: PostgreSQL is needed for the headline figure (scripts/postgres.sh); BENCH_ALLOW_NO_POSTGRES=1 runs SQLite alone" >&2
  exit 1
fi
echo "== SQLite =="
PINBRIDGE_TEST_BACKEND=sqlite run

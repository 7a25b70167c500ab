#!/usr/bin/env bash
# The application API's benchmark (server/examples/api_bench.rs) against the
# release pinbridge binary, with pinterest-sim in process: /healthz vs
# POST /v1/connections/{id}/access-token throughput and latency, the Pinterest
# proxy's latency against calling the simulator directly, and the server's
# resident memory. Each backend gets a fresh database: a temporary SQLite file,
# or a PostgreSQL database created here and dropped afterwards.
# Only 127.0.0.1 is contacted. Rerunnable.
#
#   scripts/bench-api.sh [sqlite|postgres|both]    (default both)
#
# Environment:
#   BENCH_DURATION        seconds per load phase              (default 10)
#   BENCH_CONCURRENCY     concurrent workers                  (default 32)
#   BENCH_WARMUP          seconds of warm-up per phase        (default 1)
#   BENCH_PROXY_REQUESTS  sequential proxy requests each way  (default 500)
#   BENCH_PROXY_WARMUP    of which not counted, before them   (default 50)
#   BENCH_SERVER_LOG      the server's log filter             (default info)
#   PINBRIDGE_TEST_POSTGRES_URL  the PostgreSQL server        (see scripts/postgres.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LEPTOS_OUTPUT_NAME=pinbridge

mode="${1:-both}"
case "$mode" in
  sqlite | postgres | both) ;;
  *)
    sed -n '2,19p' "$0" >&2
    exit 2
    ;;
esac

WORK="$(mktemp -d)"
BENCH_PID=""
PG_DATABASES=()

cleanup() {
  if [[ -n "$BENCH_PID" ]] && kill -0 "$BENCH_PID" 2>/dev/null; then
    # The benchmark stops its pinbridge child on SIGTERM.
    kill -TERM "$BENCH_PID" 2>/dev/null || true
    wait "$BENCH_PID" 2>/dev/null || true
  fi
  for db in "${PG_DATABASES[@]+"${PG_DATABASES[@]}"}"; do
    PGOPTIONS="--client-min-messages=warning" psql "$(scripts/postgres.sh url)" -q \
      -c "drop database if exists $db with (force)" >/dev/null 2>&1 ||
      echo "could not drop PostgreSQL database $db" >&2
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TARGET_DIR="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"

# The server exactly as shipped (cargo-leptos builds the same binary; the API
# needs no site bundle), then the benchmark. Two invocations: the benchmark's
# dev-dependencies switch on domain's `testing` feature, which must not reach
# the server binary.
echo "building pinbridge (release)..." >&2
cargo build --release -p server --bin pinbridge >&2
echo "building the benchmark (release)..." >&2
cargo build --release -p server --example api_bench >&2
export PINBRIDGE_BIN="$TARGET_DIR/release/pinbridge"
BENCH="$TARGET_DIR/release/examples/api_bench"

failed=0
# Runs the benchmark on one database URL (empty: a temporary SQLite file).
run() {
  local label="$1" url="$2" rc=0
  echo "== $label ==" >&2
  PINBRIDGE_BENCH_DATABASE_URL="$url" "$BENCH" >"$WORK/$label.out" &
  BENCH_PID=$!
  wait "$BENCH_PID" || rc=$?
  BENCH_PID=""
  cat "$WORK/$label.out"
  if [[ "$rc" -ne 0 ]]; then
    echo "$label: the benchmark failed (exit $rc)" >&2
    failed=1
  fi
}

if [[ "$mode" == sqlite || "$mode" == both ]]; then
  run sqlite ""
fi
if [[ "$mode" == postgres || "$mode" == both ]]; then
  rc=0
  scripts/postgres.sh available || rc=$?
  if [[ "$rc" -eq 0 ]]; then
    name="pinbridge_bench_$(date +%s)_$RANDOM"
    PG_DATABASES+=("$name")
    url="$(scripts/postgres.sh fresh-database "$name")"
    run postgres "$url"
  elif [[ "$mode" == postgres ]]; then
    echo "PostgreSQL is not available" >&2
    exit 1
  else
    echo "PostgreSQL not available: skipped" >&2
  fi
fi

echo
echo "summaries:"
for label in sqlite postgres; do
  [[ -f "$WORK/$label.out" ]] && grep -h '^{"bench":"api"' "$WORK/$label.out" || true
done
exit "$failed"

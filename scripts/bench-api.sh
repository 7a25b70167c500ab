#!/usr/bin/env bash
# The application API's benchmark (server/examples/api_bench.rs) against the
# release pinbridge binary, with pinterest-sim in process: /healthz vs
# POST /v1/connections/{id}/access-token throughput and latency, the Pinterest
# proxy's latency against calling the simulator directly, the server's
# resident memory, and the MCP overhead: get user account through /mcp
# (tools/call, each client its own session; and stateless) against the same
# through the REST proxy, in alternating rounds, at each simulator latency.
# Each backend gets a fresh database: a temporary SQLite file,
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
#   BENCH_PROXY_WARMUP    unmeasured ones before them         (default 50)
#   BENCH_SIM_LATENCY_MS  latency the simulator adds to the proxied call (default 0)
#   BENCH_SERVER_LOG      the server's log filter             (default info)
#   BENCH_BREAKDOWN=1     also time the access-token operation's parts in process
#   BENCH_MCP             1: the MCP section after the others; only: it alone;
#                         0: not at all                       (default 1)
#   BENCH_MCP_CONCURRENCY MCP section's clients (MCP sessions) (default BENCH_CONCURRENCY)
#   BENCH_MCP_DURATION    seconds per way per round           (default 5)
#   BENCH_MCP_ROUNDS      rounds of each way, order alternating (default 3)
#   BENCH_MCP_SIM_LATENCIES_MS  simulator latencies it runs at (default 0,20)
#   BENCH_MCP_STATELESS   also the stateless 2026-07-28 way   (default 1)
#   BENCH_MCP_SEQUENTIAL  calls one at a time each way, timed to head and chunks (default 100)
#   PINBRIDGE_TEST_POSTGRES_URL  the PostgreSQL server        (see scripts/postgres.sh)
#   BENCH_TARGET_DIR      build here instead of CARGO_TARGET_DIR. Use it when that
#                         directory is shared with other checkouts of pinbridge: cargo
#                         names their artifacts alike, so whichever checkout built last
#                         owns target/release/pinbridge, and a build here may be "fresh"
#                         with the other checkout's code.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LEPTOS_OUTPUT_NAME=pinbridge

mode="${1:-both}"
case "$mode" in
  sqlite | postgres | both) ;;
  *)
    sed -n '2,37p' "$0" >&2
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

if [[ -n "${BENCH_TARGET_DIR:-}" ]]; then
  export CARGO_TARGET_DIR="$BENCH_TARGET_DIR"
fi

# Builds one target in release and copies the executable into $WORK at once:
# a target directory shared with other checkouts may get another checkout's
# binary at the same path while this script runs.
build() {
  local what="$1" name="$2" exe
  exe="$(cargo build --release -p server "--$what" "$name" --message-format=json-render-diagnostics |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$name")"
  [[ -x "$exe" ]] || { echo "cargo built no $name" >&2; exit 1; }
  cp "$exe" "$WORK/$name"
}

# The server exactly as shipped (cargo-leptos builds the same binary; the API
# needs no site bundle), then the benchmark. Two invocations: the benchmark's
# dev-dependencies switch on domain's `testing` feature, which must not reach
# the server binary.
echo "building pinbridge (release)..." >&2
build bin pinbridge
echo "building the benchmark (release)..." >&2
build example api_bench
export PINBRIDGE_BIN="$WORK/pinbridge"
BENCH="$WORK/api_bench"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD 2>/dev/null || commit="$commit+changes"
echo "checkout $commit; pinbridge sha256 $(sha256sum "$PINBRIDGE_BIN" | cut -c1-16)"

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
# The MCP overhead of each run, one line per backend and simulator latency.
for label in sqlite postgres; do
  [[ -f "$WORK/$label.out" ]] || continue
  grep -h '^{"bench":"api"' "$WORK/$label.out" | python3 -c 'import json, sys
for line in sys.stdin:
    run = json.loads(line)
    for s in (run.get("mcp") or {}).get("by_sim_latency", []):
        rate = lambda way: (s.get(way) or {}).get("rps_median")
        words = ["MCP overhead", run["backend"], "+%s ms:" % s["sim_latency_ms"], "session %sx" % s["overhead"]]
        if "overhead_stateless" in s:
            words.append("(stateless %sx)" % s["overhead_stateless"])
        words.append("REST %s req/s, MCP %s req/s; target <= 1.5x" % (rate("proxy"), rate("mcp_session")))
        print(" ".join(words))' || true
done
exit "$failed"

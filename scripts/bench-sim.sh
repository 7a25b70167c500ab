#!/usr/bin/env bash
# Measures pinterest-sim's throughput on this machine: requests/second for
# GET /v5/user_account and POST /v5/oauth/token (refresh grant with rotation),
# with wrk (Debian package; installed with apt-get if missing and we are root).
# Only 127.0.0.1 is contacted. Rerunnable; every run is bounded in time.
#
# Environment:
#   BENCH_DURATION     seconds per endpoint             (default 10)
#   BENCH_CONNECTIONS  concurrent connections           (default 32)
#   BENCH_THREADS      wrk threads                      (default 2)
#   SIM_BIN            use this pinterest-sim binary instead of building one
#   SIM_ARGS           extra flags for the simulator    (default none)
set -euo pipefail

DURATION="${BENCH_DURATION:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d)"
SIM_PID=""

cleanup() {
    if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill "$SIM_PID"
        wait "$SIM_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "installing wrk (Debian package)..." >&2
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    else
        echo "wrk is missing: install it (apt-get install wrk) and rerun" >&2
        exit 1
    fi
fi
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 1; }

if [[ -z "${SIM_BIN:-}" ]]; then
    echo "building pinterest-sim (release)..." >&2
    (cd "$ROOT" && LEPTOS_OUTPUT_NAME=pinbridge cargo build --release -p pinterest-sim >&2)
    TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    SIM_BIN="$TARGET_DIR/release/pinterest-sim"
fi

# shellcheck disable=SC2086 # SIM_ARGS is a list of flags.
"$SIM_BIN" --addr 127.0.0.1:0 ${SIM_ARGS:-} >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM_PID=$!
for _ in $(seq 100); do
    grep -q 'listening on' "$WORK/sim.out" 2>/dev/null && break
    sleep 0.1
done
BASE="$(sed -n 's/^pinterest-sim listening on //p' "$WORK/sim.out")"
[[ "$BASE" == http://127.0.0.1:* ]] || { echo "simulator did not start:" >&2; cat "$WORK/sim.err" >&2; exit 1; }

# Tokens straight from the admin API: one access token for the GET, and a
# seed of refresh tokens (several per connection) for the token endpoint.
SEEDS=$((CONNECTIONS * 4))
curl -sf -X POST "$BASE/_sim/tokens" -H 'content-type: application/json' \
    -d "{\"client_id\":\"1234567\",\"username\":\"demo_pinner\",\"scopes\":\"user_accounts:read,boards:read,pins:read\",\"count\":$((SEEDS + 1))}" \
    >"$WORK/tokens.json"
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
items = json.load(open(f"{work}/tokens.json"))["items"]
open(f"{work}/access_token", "w").write(items[0]["access_token"])
open(f"{work}/refresh_tokens", "w").write("\n".join(i["refresh_token"] for i in items[1:]) + "\n")
PY
ACCESS="$(cat "$WORK/access_token")"

# Each wrk thread keeps a queue of live refresh tokens: a request takes one,
# the answer's rotated refresh token goes back in. No token is ever used twice.
cat >"$WORK/refresh.lua" <<'LUA'
local counter = 0
function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
end

function init(args)
    queue = {}
    failures = 0
    local threads = tonumber(args[2])
    local n = 0
    for line in io.lines(args[1]) do
        if n % threads == id then table.insert(queue, line) end
        n = n + 1
    end
    auth = "Basic " .. args[3]
end

function request()
    local token = table.remove(queue, 1) or "pinr.exhausted"
    return wrk.format("POST", "/v5/oauth/token", {
        ["Authorization"] = auth,
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
    local token = string.match(body, '"refresh_token":"([^"]+)"')
    if status == 200 and token then
        table.insert(queue, token)
    else
        failures = failures + 1
    end
end
LUA
BASIC="$(printf '%s' '1234567:sim-demo-secret' | base64)"

rps() { sed -n 's/^Requests\/sec: *//p' "$1"; }
non2xx() { sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$1"; }

echo "pinterest-sim benchmark: wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), ${THREADS} threads, ${CONNECTIONS} connections, ${DURATION}s per endpoint, $(nproc) CPUs" >&2

wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    -H "Authorization: Bearer $ACCESS" "$BASE/v5/user_account" >"$WORK/get.txt"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/refresh.lua" \
    "$BASE" -- "$WORK/refresh_tokens" "$THREADS" "$BASIC" >"$WORK/token.txt"

for f in get token; do
    echo "----- $f" >&2
    cat "$WORK/$f.txt" >&2
done

GET_RPS="$(rps "$WORK/get.txt")"
TOKEN_RPS="$(rps "$WORK/token.txt")"
GET_BAD="$(non2xx "$WORK/get.txt")"
TOKEN_BAD="$(non2xx "$WORK/token.txt")"
echo
echo "GET  /v5/user_account  ${GET_RPS} req/s  (non-2xx: ${GET_BAD:-0})"
echo "POST /v5/oauth/token   ${TOKEN_RPS} req/s  (non-2xx: ${TOKEN_BAD:-0}; refresh grant, every request rotates)"
if [[ -n "$GET_BAD" || -n "$TOKEN_BAD" ]]; then
    echo "some requests failed: the numbers above are not valid" >&2
    exit 1
fi

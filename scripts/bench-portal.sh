#!/usr/bin/env bash
# The portal's delivery, measured in one run against the release build:
#   1. bytes a browser moves for the Integrations page: a first visit (empty
#      cache) and a repeat visit (Debian's Chromium, end2end/bench/transfer.mjs);
#   2. the server's time for that page at 16 concurrent signed-in sessions
#      (wrk from Debian's packages, installed if missing): p50 / p99, pages/s;
#   3. the server's resident memory idle, and after that load.
# Targets (issue 18): first visit <= 250 KB, repeat <= 15 KB, p50 <= 5 ms and
# p99 <= 20 ms, resident memory < 60 MB after the load.
#   scripts/bench-portal.sh [seconds of load, default 20]
# Uses a throwaway SQLite database; compare ratios between runs on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
sessions=16
bin=${PINBRIDGE_BIN:-${CARGO_TARGET_DIR:-target}/release/pinbridge}
site=${PINBRIDGE_SITE_ROOT:-target/site}
[[ -x "$bin" ]] || { echo "build first: make build (or set PINBRIDGE_BIN)" >&2; exit 2; }
[[ -d "$site/pkg" ]] || { echo "no site at $site: make build (or set PINBRIDGE_SITE_ROOT)" >&2; exit 2; }
[[ -d end2end/node_modules/@playwright ]] || { echo "npm packages missing: make setup-test" >&2; exit 2; }
if ! command -v wrk >/dev/null; then
  echo "bench-portal: installing Debian's wrk"
  sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq wrk
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export PINBRIDGE_DATABASE_URL="sqlite://$work/bench.db"
export PINBRIDGE_PUBLIC_URL="$base"
export PINBRIDGE_LISTEN_ADDR="127.0.0.1:$port"
export PINBRIDGE_SITE_ROOT="$site"
export PINBRIDGE_LOG=warn
password="quiet lantern meadow 2026"
echo "$password" | "$bin" operator create --workspace Bench --email owner@bench.test \
  --role owner --password-stdin >/dev/null

"$bin" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fs "$base/readyz" >/dev/null && break
  sleep 0.1
done
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }

# Sessions: one sign-in each (a cookie jar per session).
for i in $(seq 1 "$sessions"); do
  curl -fs -o /dev/null -c "$work/jar$i" -H 'accept: application/json' \
    --data-urlencode "email=owner@bench.test" --data-urlencode "password=$password" \
    "$base/api/auth/sign-in"
done
cookie() { awk '$6 == "pinbridge_session" { print $7 }' "$work/jar$1"; }
# Signed in, `/` opens the first environment's Integrations page.
path=$(curl -fs -o /dev/null -w '%{redirect_url}' -b "pinbridge_session=$(cookie 1)" "$base/" | sed "s|^$base||")
[[ "$path" == */integrations ]] || { echo "unexpected landing page: $path" >&2; exit 1; }
sleep 1
idle=$(rss)

# 1. Transfer, as Chromium sees it: the Integrations page (no island: no
#    script runs), and the Installation page, whose copy button is an island
#    (the wasm loads), each from an empty cache and again.
transfer=$(cd end2end && node bench/transfer.mjs "$base" "$path" "$(cookie 1)")
island_path="${path%%/e/*}/installation"
island=$(cd end2end && node bench/transfer.mjs "$base" "$island_path" "$(cookie 2)")

# 2. Server time at 16 concurrent sessions; each request takes the next
#    session's cookie, and offers the encodings a browser does.
{
  echo 'local cookies = {'
  for i in $(seq 1 "$sessions"); do echo "  \"pinbridge_session=$(cookie "$i")\","; done
  echo '}'
  cat <<'LUA'
local n = 0
request = function()
  n = n + 1
  local headers = {
    ["Cookie"] = cookies[(n % #cookies) + 1],
    ["Accept"] = "text/html",
    ["Accept-Encoding"] = "gzip, deflate, br",
  }
  return wrk.format("GET", nil, headers)
end
LUA
} > "$work/sessions.lua"
# Warm-up, then the measured run.
wrk -t2 -c"$sessions" -d3s -s "$work/sessions.lua" "$base$path" >/dev/null
wrk -t2 -c"$sessions" -d"${seconds}s" --latency -s "$work/sessions.lua" "$base$path" > "$work/wrk.txt"
sleep 1
after=$(rss)
hwm=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
non2xx=$(awk '/Non-2xx/ { print $NF }' "$work/wrk.txt")

python3 - "$transfer" "$island" "$work/wrk.txt" "$idle" "$after" "$hwm" "${non2xx:-0}" <<'PY'
import json, re, sys
transfer, island, wrk_file, idle, after, hwm, non2xx = sys.argv[1:]
wrk = open(wrk_file).read()
def ms(label):
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", wrk, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
for title, measured in (("Integrations page", transfer), ("Installation page (a copy button island)", island)):
    t = json.loads(measured)
    print(f"{title}, release build")
    for name in ("first", "repeat"):
        v = t[name]
        print(f"  {name} visit: {v['bytes'] / 1000:.1f} KB over {len(v['requests'])} requests")
        for r in v["requests"]:
            how = "cache" if r["cached"] else (r["encoding"] or "identity")
            print(f"    {r['bytes'] / 1000:8.1f} KB  {r['status']}  {how:8}  {r['url'][:90]}")
print("Integrations page under load")
print(f"  server time at 16 sessions: p50 {ms(50):.2f} ms, p90 {ms(90):.2f} ms, p99 {ms(99):.2f} ms, {rate:.0f} pages/s")
if non2xx != "0":
    print(f"  !! {non2xx} answers were not 2xx")
print(f"  resident memory: idle {idle} MB, after the load {after} MB (peak {hwm} MB)")
PY

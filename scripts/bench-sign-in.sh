#!/usr/bin/env bash
# Measures how long a refused sign-in takes for an unknown email and for a known
# email with a wrong password (they must be alike: the time must not tell which
# emails have accounts), and a successful one for scale. Runs the release build
# on a throwaway SQLite database; compare the ratios, not the absolute numbers.
#   scripts/bench-sign-in.sh [attempts per kind, at most 9]
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-9}
# The IP allowance is 20 failures: 2 × 9 refused attempts and one warm-up stay inside it.
(( n >= 1 && n <= 9 )) || { echo "attempts per kind: 1 to 9" >&2; exit 2; }
bin=${PINBRIDGE_BIN:-target/release/pinbridge}
[[ -x "$bin" ]] || { echo "build first: make build (or set PINBRIDGE_BIN)" >&2; exit 2; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PINBRIDGE_DATABASE_URL="sqlite://$work/bench.db"
export PINBRIDGE_PUBLIC_URL="http://127.0.0.1:$port"
export PINBRIDGE_LISTEN_ADDR="127.0.0.1:$port"
export PINBRIDGE_SITE_ROOT="${PINBRIDGE_SITE_ROOT:-target/site}"
export PINBRIDGE_LOG=warn
password="quiet lantern meadow 2026"

for i in $(seq 1 "$n"); do
  echo "$password" | "$bin" operator create --workspace Bench --email "user$i@bench.test" \
    --role owner --password-stdin >/dev/null
done
"$bin" serve >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done

# Seconds for one sign-in server-function call.
attempt() {
  curl -s -o /dev/null -w '%{time_total}\n' -H 'accept: application/json' \
    --data-urlencode "email=$1" --data-urlencode "password=$2" \
    "http://127.0.0.1:$port/api/auth/sign-in"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The very first unknown email after start-up (it must not pay for preparing the
# dummy hash), then the two kinds interleaved, so neither gets the warm-up or the
# machine's quiet moments (the IP allowance still holds: 2n + 1 ≤ 19).
first=$(attempt "first@bench.test" "$password")
: > "$work/unknown"
: > "$work/wrong"
for i in $(seq 1 "$n"); do
  attempt "nobody$i@bench.test" "$password" >> "$work/unknown"
  attempt "user$i@bench.test" "not the password" >> "$work/wrong"
done
unknown=$(median < "$work/unknown")
wrong=$(median < "$work/wrong")
right=$(for i in $(seq 1 "$n"); do attempt "user$i@bench.test" "$password"; done | median)

printf 'sign-in, median of %d (seconds):\n' "$n"
printf '  first unknown email after start-up  %s\n' "$first"
printf '  unknown email    %s\n' "$unknown"
printf '  wrong password   %s\n' "$wrong"
printf '  right password   %s\n' "$right"
awk -v u="$unknown" -v w="$wrong" -v f="$first" 'BEGIN {
  printf "  unknown / wrong  %.2f (1.00 means indistinguishable)\n", u / w
  printf "  first / wrong    %.2f\n", f / w
}'

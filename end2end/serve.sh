#!/usr/bin/env bash
# Starts a release pinbridge on a fresh database for the end-to-end suite, with
# pinterest-sim (the offline Pinterest: demo app 1234567 / sim-demo-secret) as
# its Pinterest. PINBRIDGE_BIN and PINTEREST_SIM_BIN: the built binaries;
# PINBRIDGE_E2E_DATABASE_URL: a database to use instead of a new SQLite file
# (the Makefile passes a fresh PostgreSQL one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${E2E_PORT:-3100}
work=$(mktemp -d)
sim_pid=""
trap '[[ -z $sim_pid ]] || kill $sim_pid 2>/dev/null || true; rm -rf "$work"' EXIT

export PINBRIDGE_LISTEN_ADDR="127.0.0.1:$port"
export PINBRIDGE_PUBLIC_URL="http://127.0.0.1:$port"
export PINBRIDGE_DATABASE_URL="${PINBRIDGE_E2E_DATABASE_URL:-sqlite://$work/pinbridge.db}"
export PINBRIDGE_SITE_ROOT="${PINBRIDGE_SITE_ROOT:-$root/target/site}"
if [[ "$PINBRIDGE_DATABASE_URL" == postgres* ]]; then
  export PINBRIDGE_ENCRYPTION_KEYS="e2e:$(head -c32 /dev/urandom | base64)"
fi
export PINBRIDGE_LOG="${PINBRIDGE_LOG:-warn}"
# The webhook tests' receivers listen on 127.0.0.1, and this sandbox resolves
# no public names: allow private targets, as a development installation would.
export PINBRIDGE_WEBHOOKS_ALLOW_PRIVATE="${PINBRIDGE_WEBHOOKS_ALLOW_PRIVATE:-true}"
bin="${PINBRIDGE_BIN:-$root/target/release/pinbridge}"
sim="${PINTEREST_SIM_BIN:-$root/target/release/pinterest-sim}"

sim_addr="127.0.0.1:${E2E_SIM_PORT:-3110}"
# A second app whose redirect URI is this pinbridge's, for the connect flow.
"$sim" --addr "$sim_addr" --app "7654321:e2e-sim-secret-01:standard:http://127.0.0.1:$port/integration-callback" \
  >"$work/sim.log" 2>&1 &
sim_pid=$!
export PINBRIDGE_PINTEREST_OAUTH_URL="http://$sim_addr"
export PINBRIDGE_PINTEREST_API_URL="http://$sim_addr"
export PINBRIDGE_PINTEREST_SANDBOX_API_URL="http://$sim_addr"

# The tests run pinbridge's CLI (setup-link, operator create) against this same
# installation: they read its binary and settings from here (mode 0600: it may
# hold the encryption key), removed when the server stops.
state="$root/end2end/.state"
rm -rf "$state" && mkdir -p "$state" && chmod 700 "$state"
trap '[[ -z $sim_pid ]] || kill $sim_pid 2>/dev/null || true; rm -rf "$work" "$state"' EXIT
(
  umask 077
  node -e 'process.stdout.write(JSON.stringify({
    bin: process.argv[1],
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("PINBRIDGE_")))
  }))' "$bin" > "$state/installation.json"
)
# Not exec: the trap must stop the simulator when pinbridge stops.
"$bin" serve

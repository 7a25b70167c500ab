#!/usr/bin/env bash
# Runs the built pinbridge on SQLite (./data/). Unless PINTEREST=real, it also
# starts pinterest-sim (the offline Pinterest, demo app 1234567 / demo_pinner)
# and points pinbridge at it, so everything works without a Pinterest account.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${PINBRIDGE_BIN:-target/release/pinbridge}
sim=${PINTEREST_SIM_BIN:-target/release/pinterest-sim}
export PINBRIDGE_SITE_ROOT=${PINBRIDGE_SITE_ROOT:-target/site}
public=${PINBRIDGE_PUBLIC_URL:-http://127.0.0.1:3000}

if [[ "${PINTEREST:-sim}" != "real" ]]; then
  sim_addr=${PINTEREST_SIM_ADDR:-127.0.0.1:4010}
  "$sim" --addr "$sim_addr" &
  sim_pid=$!
  trap 'kill $sim_pid 2>/dev/null || true' EXIT
  export PINBRIDGE_PINTEREST_OAUTH_URL=${PINBRIDGE_PINTEREST_OAUTH_URL:-http://$sim_addr}
  export PINBRIDGE_PINTEREST_API_URL=${PINBRIDGE_PINTEREST_API_URL:-http://$sim_addr}
  export PINBRIDGE_PINTEREST_SANDBOX_API_URL=${PINBRIDGE_PINTEREST_SANDBOX_API_URL:-http://$sim_addr}
  echo "run: pinterest-sim (offline Pinterest) on http://$sim_addr: app id 1234567, secret sim-demo-secret, user demo_pinner"
fi

echo "run: starting pinbridge; open $public/ in your browser (Ctrl-C stops it)"
"$bin" serve

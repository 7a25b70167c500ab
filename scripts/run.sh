#!/usr/bin/env bash
# Runs the built pinbridge on SQLite (./data/). Unless the Pinterest URLs are set
# (PINBRIDGE_PINTEREST_OAUTH_URL / PINBRIDGE_PINTEREST_API_URL) or PINTEREST=real,
# it also starts pinterest-sim (the offline Pinterest, demo app 1234567 /
# demo_pinner) and points pinbridge at it, so the whole flow works offline.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${PINBRIDGE_BIN:-target/release/pinbridge}
sim=${PINTEREST_SIM_BIN:-target/release/pinterest-sim}
export PINBRIDGE_SITE_ROOT=${PINBRIDGE_SITE_ROOT:-target/site}
public=${PINBRIDGE_PUBLIC_URL:-http://127.0.0.1:3000}

if [[ "${PINTEREST:-sim}" != "real" && -z "${PINBRIDGE_PINTEREST_OAUTH_URL:-}" && -z "${PINBRIDGE_PINTEREST_API_URL:-}" ]]; then
  sim_addr=${PINTEREST_SIM_ADDR:-127.0.0.1:4010}
  "$sim" --addr "$sim_addr" &
  sim_pid=$!
  trap 'kill $sim_pid 2>/dev/null || true' EXIT
  export PINBRIDGE_PINTEREST_OAUTH_URL=${PINBRIDGE_PINTEREST_OAUTH_URL:-http://$sim_addr}
  export PINBRIDGE_PINTEREST_API_URL=${PINBRIDGE_PINTEREST_API_URL:-http://$sim_addr}
  export PINBRIDGE_PINTEREST_SANDBOX_API_URL=${PINBRIDGE_PINTEREST_SANDBOX_API_URL:-http://$sim_addr}
  cat <<EOT
run: pinterest-sim (an offline Pinterest) is on http://$sim_addr
run: to try the whole flow (configure -> connect -> healthy connection):
  1. Open the setup link pinbridge prints below (first start only) and create your workspace.
  2. Development -> Integrations -> Pinterest: App id 1234567, App secret key sim-demo-secret, Save, Check credentials.
  3. Connections -> New connect link: any end user id, Create link; open the link, Continue to Pinterest, Allow.
  4. Back in Connections: the connection is Active as @demo_pinner; open it and press Check now.
EOT
fi

echo "run: starting pinbridge; open $public/ in your browser (Ctrl-C stops it)"
"$bin" serve

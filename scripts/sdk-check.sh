#!/usr/bin/env bash
# Checks a generated typed API client against a running pinbridge and the
# pinterest-sim it is pointed at (server/tests/http/sdk_clients.rs runs it):
#   scripts/sdk-check.sh js       compiles sdk/js with its test (sdk/js/test/check.ts,
#                                 type-checked against the generated schema.ts) and runs it with node
#   scripts/sdk-check.sh python   runs scripts/sdk-check.py with sdk/python's pinbridge_client
# Where and as whom come from the environment (PINBRIDGE_SDK_BASE_URL,
# PINBRIDGE_SDK_API_KEY, …: see the check scripts); the key is a secret and is
# never printed. The check prints a JSON summary as its last line.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$root/scripts/sdk-tools.sh" path)
# Nothing but the addresses given is ever contacted: no proxy.
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
case "${1:-}" in
  js)
    (cd "$root/sdk/js" && rm -rf build && node_modules/.bin/tsc -p test/tsconfig.json)
    exec node "$root/sdk/js/build/test/check.js"
    ;;
  python)
    PYTHONPATH="$root/sdk/python" PYTHONDONTWRITEBYTECODE=1 \
      exec "$bin/python" -u "$root/scripts/sdk-check.py"
    ;;
  *)
    echo "usage: $0 js|python" >&2
    exit 2
    ;;
esac

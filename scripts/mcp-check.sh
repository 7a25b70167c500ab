#!/usr/bin/env bash
# Checks a running pinbridge's MCP gateway (/mcp) from outside with the
# official MCP Python SDK (installed by scripts/mcp-tools.sh), against the
# pinterest-sim it is pointed at: scripts/mcp-check.py does the checking.
#   scripts/mcp-check.sh CONFIG.json [REPORT.json]
# CONFIG.json says where pinbridge and the simulator are, the keys and the
# connections to use (server/tests/http/mcp_sdk.rs writes it; the keys in it
# are secrets: keep it private). REPORT.json, if given, receives what the
# check did (the tool calls it made per environment, timings), no secrets.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 CONFIG.json [REPORT.json]" >&2
  exit 2
fi

bin=$("$(dirname "$0")/mcp-tools.sh" path)
# Nothing but the addresses in CONFIG.json is ever contacted: no proxy.
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
exec "$bin/python" -u "$(dirname "$0")/mcp-check.py" "$@"

#!/usr/bin/env bash
# Installs the tools that check pinbridge's MCP gateway (/mcp) from outside
# (see scripts/mcp-check.sh): the official MCP Python SDK and what the check
# imports itself, at pinned versions, in a Python venv outside the repo and
# apart from scripts/api-tools.sh's (their dependencies need not agree).
# scripts/py-tools.sh does the work; nothing when already there.
#   scripts/mcp-tools.sh        install if needed, then say where the tools are
#   scripts/mcp-tools.sh path   install if needed, then print only the venv's bin dir
# PINBRIDGE_MCP_TOOLS_DIR moves the venv (default ~/.cache/pinbridge/mcp-tools);
# PYTHON picks the interpreter (CPython 3.11 or newer).
set -euo pipefail

MCP_VERSION=2.3.0
# The SDK validates structured results with jsonschema, and so does the check
# (Draft 2020-12); the check builds its HTTP clients with httpx2, the SDK's.
# mcp-types, which the check imports too, is pinned by mcp itself (==2.3.0).
JSONSCHEMA_VERSION=4.26.0
HTTPX2_VERSION=2.16.2

TOOLS_NAME=mcp-tools \
TOOLS_DIR=${PINBRIDGE_MCP_TOOLS_DIR:-$HOME/.cache/pinbridge/mcp-tools} \
REQUIREMENT="mcp==$MCP_VERSION jsonschema==$JSONSCHEMA_VERSION httpx2==$HTTPX2_VERSION" \
TOOLS_BINS="" \
  exec "$(dirname "$0")/py-tools.sh" "$@"

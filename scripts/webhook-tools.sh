#!/usr/bin/env bash
# Installs the tools that check pinbridge's webhooks from outside (see
# scripts/webhook-check.py): the official Standard Webhooks Python library,
# which verifies the signatures, and jsonschema, which validates every
# payload against the schemas of /v1/openapi.json, at pinned versions, in a
# Python venv outside the repo and apart from the other tools' venvs.
# scripts/py-tools.sh does the work; nothing when already there.
#   scripts/webhook-tools.sh        install if needed, then say where the tools are
#   scripts/webhook-tools.sh path   install if needed, then print only the venv's bin dir
# PINBRIDGE_WEBHOOK_TOOLS_DIR moves the venv (default ~/.cache/pinbridge/webhook-tools);
# PYTHON picks the interpreter (CPython 3.11 or newer).
set -euo pipefail

STANDARDWEBHOOKS_VERSION=1.1.0
# Draft 2020-12, as OpenAPI 3.1's schemas are (the same pin as scripts/mcp-tools.sh).
JSONSCHEMA_VERSION=4.26.0

TOOLS_NAME=webhook-tools \
TOOLS_DIR=${PINBRIDGE_WEBHOOK_TOOLS_DIR:-$HOME/.cache/pinbridge/webhook-tools} \
REQUIREMENT="standardwebhooks==$STANDARDWEBHOOKS_VERSION jsonschema==$JSONSCHEMA_VERSION" \
TOOLS_BINS="" \
  exec "$(dirname "$0")/py-tools.sh" "$@"

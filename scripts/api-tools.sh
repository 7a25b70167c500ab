#!/usr/bin/env bash
# Installs the tools that check pinbridge's HTTP API from outside (see
# scripts/api-check.sh) at pinned versions, in a Python venv outside the repo
# (scripts/py-tools.sh does the work; nothing when already there).
#   scripts/api-tools.sh        install if needed, then say where the tools are
#   scripts/api-tools.sh path   install if needed, then print only the venv's bin dir
# PINBRIDGE_TOOLS_DIR moves the venv (default ~/.cache/pinbridge/api-tools);
# PYTHON picks the interpreter (schemathesis needs CPython 3.11 or newer).
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0

TOOLS_NAME=api-tools \
TOOLS_DIR=${PINBRIDGE_TOOLS_DIR:-$HOME/.cache/pinbridge/api-tools} \
REQUIREMENT="schemathesis==$SCHEMATHESIS_VERSION openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION" \
TOOLS_BINS="schemathesis openapi-spec-validator" \
  exec "$(dirname "$0")/py-tools.sh" "$@"

#!/usr/bin/env bash
# Installs the tool that reads pinbridge's /metrics from outside (see
# scripts/metrics-check.py): the Prometheus Python client, whose parser of the
# text format is Prometheus' own, at a pinned version, in a Python venv outside
# the repo and apart from the other tools' venvs. scripts/py-tools.sh does the
# work; nothing when already there.
#   scripts/metrics-tools.sh        install if needed, then say where the tool is
#   scripts/metrics-tools.sh path   install if needed, then print only the venv's bin dir
# PINBRIDGE_METRICS_TOOLS_DIR moves the venv (default ~/.cache/pinbridge/metrics-tools);
# PYTHON picks the interpreter (CPython 3.11 or newer).
set -euo pipefail

PROMETHEUS_CLIENT_VERSION=0.26.0

TOOLS_NAME=metrics-tools \
TOOLS_DIR=${PINBRIDGE_METRICS_TOOLS_DIR:-$HOME/.cache/pinbridge/metrics-tools} \
REQUIREMENT="prometheus_client==$PROMETHEUS_CLIENT_VERSION" \
TOOLS_BINS="" \
  exec "$(dirname "$0")/py-tools.sh" "$@"

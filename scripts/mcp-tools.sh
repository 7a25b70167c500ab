#!/usr/bin/env bash
# Installs the tools that check pinbridge's MCP gateway (/mcp) from outside
# (see scripts/mcp-check.sh): the official MCP Python SDK and what the check
# imports itself, at pinned versions, in a Python venv outside the repo and
# apart from scripts/api-tools.sh's (their dependencies need not agree).
# Does nothing when that venv already has exactly these versions.
#   scripts/mcp-tools.sh        install if needed, then say where the tools are
#   scripts/mcp-tools.sh path   install if needed, then print only the venv's bin dir
# PINBRIDGE_MCP_TOOLS_DIR moves the venv (default ~/.cache/pinbridge/mcp-tools);
# PYTHON picks the interpreter (CPython 3.11 or newer, as for scripts/api-tools.sh).
set -euo pipefail

MCP_VERSION=2.3.0
# The SDK validates structured results with jsonschema, and so does the check
# (Draft 2020-12); the check builds its HTTP clients with httpx2, the SDK's.
# mcp-types, which the check imports too, is pinned by mcp itself (==2.3.0).
JSONSCHEMA_VERSION=4.26.0
HTTPX2_VERSION=2.16.2
REQUIREMENT="mcp==$MCP_VERSION jsonschema==$JSONSCHEMA_VERSION httpx2==$HTTPX2_VERSION"

dir=${PINBRIDGE_MCP_TOOLS_DIR:-$HOME/.cache/pinbridge/mcp-tools}
venv=$dir/venv
bin=$venv/bin
stamp=$venv/pinbridge-requirement.txt   # written last, only after a good install

# Progress goes to stderr, so that `mcp-tools.sh path` prints nothing but the path.
say() { printf '\033[1mmcp-tools:\033[0m %s\n' "$*" >&2; }
tell() { printf '\033[1mmcp-tools:\033[0m %s\n' "$*"; }

case "${1:-}" in
  ""|path) ;;
  *) echo "usage: $0 [path]" >&2; exit 2 ;;
esac

# The venv is current when its stamp holds exactly today's requirement line and
# its Python still starts (a removed interpreter leaves a dangling venv).
current() {
  [[ -f "$stamp" && "$(<"$stamp")" == "$REQUIREMENT" && -x "$bin/python" ]] \
    && "$bin/python" -c '' 2>/dev/null
}

installed=""
if ! current; then
  mkdir -p "$dir"
  # One install at a time (two CI jobs on one machine); the second one finds it done.
  exec 9>"$dir/.lock"
  flock 9
  if ! current; then
    python=${PYTHON:-python3}
    [[ -z "${PYTHON:-}" ]] && command -v python3.11 >/dev/null && python=python3.11
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      say "need CPython 3.11 or newer, $python is: $("$python" --version 2>&1 | head -n1 || true); set PYTHON"
      exit 1
    fi
    say "installing $REQUIREMENT into $venv (about 30 s)"
    start=$SECONDS
    # A fresh venv each time, so nothing from an older pin lingers.
    rm -rf "$venv"
    if ! "$python" -m venv "$venv"; then
      say "could not create a venv with $python (on Debian: apt-get install python3-venv)"
      exit 1
    fi
    # shellcheck disable=SC2086 # REQUIREMENT is three words on purpose
    "$bin/python" -m pip install --quiet --disable-pip-version-check --no-input $REQUIREMENT
    printf '%s\n' "$REQUIREMENT" >"$stamp.tmp"
    mv "$stamp.tmp" "$stamp"
    installed=" (installed in $((SECONDS - start)) s)"
  fi
  exec 9>&-
fi

# One line: the bin dir alone for `path`, else what is where.
if [[ "${1:-}" == path ]]; then
  echo "$bin"
elif [[ -n "$installed" ]]; then
  tell "$REQUIREMENT in $bin$installed"
else
  tell "up to date, nothing to do: $REQUIREMENT in $bin"
fi

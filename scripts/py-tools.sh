#!/usr/bin/env bash
# Installs pinned Python tools into a venv outside the repo; used by
# scripts/api-tools.sh and scripts/mcp-tools.sh, which say what to install:
#   TOOLS_NAME   a short name for messages (api-tools, mcp-tools)
#   TOOLS_DIR    the folder that holds the venv
#   REQUIREMENT  the pinned packages, space-separated (pip requirement specifiers)
#   TOOLS_BINS   programs the venv must have besides python (space-separated; may be empty)
# Does nothing when the venv already has exactly these versions.
#   py-tools.sh        install if needed, then say where the tools are
#   py-tools.sh path   install if needed, then print only the venv's bin dir
# PYTHON picks the interpreter (CPython 3.11 or newer).
set -euo pipefail

: "${TOOLS_NAME:?} ${TOOLS_DIR:?} ${REQUIREMENT:?}"
venv=$TOOLS_DIR/venv
bin=$venv/bin
stamp=$venv/pinbridge-requirement.txt   # written last, only after a good install

# Progress goes to stderr, so that `path` prints nothing but the path.
say() { printf '\033[1m%s:\033[0m %s\n' "$TOOLS_NAME" "$*" >&2; }
tell() { printf '\033[1m%s:\033[0m %s\n' "$TOOLS_NAME" "$*"; }

case "${1:-}" in
  ""|path) ;;
  *) echo "usage: $0 [path]" >&2; exit 2 ;;
esac

# The venv is current when its stamp holds exactly today's requirement line,
# its programs are there and its Python still starts (a removed interpreter
# leaves a dangling venv).
current() {
  [[ -f "$stamp" && "$(<"$stamp")" == "$REQUIREMENT" && -x "$bin/python" ]] || return 1
  local program
  for program in ${TOOLS_BINS:-}; do
    [[ -x "$bin/$program" ]] || return 1
  done
  "$bin/python" -c '' 2>/dev/null
}

installed=""
if ! current; then
  mkdir -p "$TOOLS_DIR"
  # One install at a time (two CI jobs on one machine); the second one finds it done.
  exec 9>"$TOOLS_DIR/.lock"
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
    # shellcheck disable=SC2086 # REQUIREMENT is several words on purpose
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

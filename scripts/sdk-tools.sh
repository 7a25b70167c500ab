#!/usr/bin/env bash
# Installs what generates and checks pinbridge's typed API clients (sdk/js,
# sdk/python; see scripts/sdk-generate.sh and scripts/sdk-check.sh), at pinned
# versions, and nothing when already there:
#   - sdk/js's npm packages (openapi-typescript, openapi-fetch, typescript;
#     exact versions in sdk/js/package.json, the rest in its package-lock.json),
#     with `npm ci` into sdk/js/node_modules;
#   - openapi-python-client and what the generated client imports (httpx and
#     attrs), and ruff, which formats what it generates, in a
#     Python venv outside the repo (scripts/py-tools.sh does the work).
#   scripts/sdk-tools.sh        install if needed, then say where the tools are
#   scripts/sdk-tools.sh path   install if needed, then print only the venv's bin dir
# PINBRIDGE_SDK_TOOLS_DIR moves the venv (default ~/.cache/pinbridge/sdk-tools);
# PYTHON picks the interpreter (CPython 3.11 or newer).
set -euo pipefail

OPENAPI_PYTHON_CLIENT_VERSION=0.29.1
# The generator runs ruff on what it wrote: its version shapes the files.
RUFF_VERSION=0.17.6
# The generated client's own dependencies, for the live check.
HTTPX_VERSION=0.28.1
ATTRS_VERSION=26.1.0

root=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '\033[1m%s:\033[0m %s\n' sdk-tools "$*" >&2; }

tools_dir=${PINBRIDGE_SDK_TOOLS_DIR:-$HOME/.cache/pinbridge/sdk-tools}

# npm: `npm ci` when node_modules is missing a tool or is older than the lock.
js=$root/sdk/js
npm_current() {
  [[ -x $js/node_modules/.bin/openapi-typescript && -x $js/node_modules/.bin/tsc \
     && -f $js/node_modules/openapi-fetch/package.json \
     && ! $js/package-lock.json -nt $js/node_modules/.package-lock.json ]]
}
if ! npm_current; then
  # One install at a time (the tests call this concurrently); the second finds it done.
  mkdir -p "$tools_dir"
  exec 8>"$tools_dir/.npm-lock"
  flock 8
  if ! npm_current; then
    say "installing npm packages in sdk/js/"
    (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  exec 8>&-
fi

TOOLS_NAME=sdk-tools \
TOOLS_DIR=$tools_dir \
REQUIREMENT="openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION ruff==$RUFF_VERSION httpx==$HTTPX_VERSION attrs==$ATTRS_VERSION" \
TOOLS_BINS="openapi-python-client ruff" \
  exec "$root/scripts/py-tools.sh" "$@"

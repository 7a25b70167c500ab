#!/usr/bin/env bash
# Installs what building and testing pinbridge needs, skipping whatever is
# already there. Safe to run again and again.
#   scripts/setup.sh          toolchain pieces for building and running
#   scripts/setup.sh --test   also Debian's chromium for the end-to-end tests, psql and
#                             nginx (for the deployment test; its service is not started)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# 1. The wasm target for the pinned toolchain (rust-toolchain.toml).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. cargo-leptos, built without its tool downloads (it uses what is on PATH).
if [[ "$(cargo leptos --version 2>/dev/null || true)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (a one-time build of about 30 minutes on 2 cores)"
  # Built in cargo's own temporary folder, not $CARGO_TARGET_DIR: an install there would
  # hold the project's build lock for half an hour.
  env -u CARGO_TARGET_DIR cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

# 3. wasm-bindgen-cli: exactly the wasm-bindgen version in Cargo.lock.
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wbg" ]]; then
  say "installing wasm-bindgen-cli $wbg"
  # --locked fails to resolve for 0.2.130 (see docs/stack.md), so it is left out.
  env -u CARGO_TARGET_DIR cargo install wasm-bindgen-cli --version "$wbg" --force
fi

# 4. npm packages: Playwright's test runner and binaryen's wasm-opt (release builds).
if [[ ! -x end2end/node_modules/.bin/wasm-opt || ! -x end2end/node_modules/.bin/playwright \
      || end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
  say "installing npm packages in end2end/"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# 5. For the end-to-end tests: Debian's chromium (never a downloaded browser).
if [[ "${1:-}" == "--test" ]] && ! command -v chromium >/dev/null; then
  say "installing Debian's chromium"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium
fi
# 6. psql, to create and sweep the PostgreSQL test databases.
if [[ "${1:-}" == "--test" ]] && ! command -v psql >/dev/null; then
  say "installing Debian's postgresql-client"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql-client
fi
# 7. For the deployment test (server/tests/binary/deploy.rs): Debian's nginx. The
#    test runs its own nginx, as the test user, on ports and paths of its own; the
#    package's own service is never wanted, so it is kept from starting on install
#    (it would take port 80) with a policy-rc.d, unless the machine already has one.
if [[ "${1:-}" == "--test" ]] && [[ ! -x /usr/sbin/nginx ]]; then
  say "installing Debian's nginx (its service is not started)"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# scripts/setup.sh: no service starts while nginx installs\nexit 101\n' |
      $sudo_cmd tee "$policy" >/dev/null
    $sudo_cmd chmod 755 "$policy"
    trap '$sudo_cmd rm -f "$policy"' EXIT
  fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends nginx
  # Under systemd the package also enables its service for the next boot.
  if [[ -d /run/systemd/system ]]; then $sudo_cmd systemctl disable --now nginx >/dev/null 2>&1 || true; fi
fi
say "ready"

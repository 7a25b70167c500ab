#!/usr/bin/env bash
# PostgreSQL for the test suite.
#   postgres.sh available          exit 0 if the PostgreSQL half of the suite should run;
#                                  if it cannot, say so loudly (and fail under CI=true)
#   postgres.sh url                the server URL tests use
#   postgres.sh sweep              drop test databases left by interrupted runs
#   postgres.sh fresh-database N   (re)create database N and print its URL
set -euo pipefail

DEFAULT_URL=postgres://postgres@127.0.0.1:5432/test
url=${PINBRIDGE_TEST_POSTGRES_URL:-$DEFAULT_URL}

# host:port from postgres://user[:pw]@host[:port]/db
hostport=${url#*://}
hostport=${hostport#*@}
hostport=${hostport%%/*}
hostport=${hostport%%\?*}
host=${hostport%%:*}
port=5432
[[ "$hostport" == *:* ]] && port=${hostport##*:}

answers() { timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; }

banner() {
  printf '\n\033[1;33m%s\033[0m\n' "################################################################"
  printf '\033[1;33m# %s\033[0m\n' "$@"
  printf '\033[1;33m%s\033[0m\n\n' "################################################################"
}

case "${1:-}" in
  available)
    if answers; then
      # PostgreSQL is there: its half of the suite runs, or the run fails. It is
      # never skipped because a client tool is missing.
      if ! command -v psql >/dev/null; then
        banner "PostgreSQL answers at $host:$port, but psql is missing, so its half of the suite cannot run" \
               "Install it with 'make setup-test' (Debian's postgresql-client), then run the tests again."
        exit 2
      fi
      exit 0
    fi
    if [[ "${CI:-}" == "true" ]]; then
      banner "PostgreSQL is REQUIRED in CI but nothing answers at $host:$port" \
             "(PINBRIDGE_TEST_POSTGRES_URL=${PINBRIDGE_TEST_POSTGRES_URL:-unset})"
      exit 2
    fi
    if [[ -n "${PINBRIDGE_TEST_POSTGRES_URL:-}" ]]; then
      banner "PINBRIDGE_TEST_POSTGRES_URL is set, but nothing answers at $host:$port"
      exit 2
    fi
    banner "SKIPPING the PostgreSQL half of the suite: nothing answers at $host:$port" \
           "Start PostgreSQL there, or set PINBRIDGE_TEST_POSTGRES_URL, to run it."
    exit 1
    ;;
  url)
    echo "$url"
    ;;
  sweep)
    psql "$url" -qAt -c "select datname from pg_database where datname like 'pinbridge_test_%'" |
      while read -r db; do
        [[ -n "$db" ]] && PGOPTIONS="--client-min-messages=warning" psql "$url" -q -c "drop database if exists \"$db\" with (force)"
      done
    ;;
  fresh-database)
    name=${2:?database name}
    [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bad database name" >&2; exit 2; }
    PGOPTIONS="--client-min-messages=warning" psql "$url" -q -v ON_ERROR_STOP=1 -c "drop database if exists $name with (force)" -c "create database $name" >/dev/null
    base=${url%%\?*}
    echo "${base%/*}/$name"
    ;;
  *)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Checks a running pinbridge's HTTP API from outside, with tools that share no
# code with it (installed by scripts/api-tools.sh):
#   1. openapi-spec-validator validates the served /v1/openapi.json as OpenAPI 3.1;
#   2. schemathesis tests the live API from that document: no 5xx, and answers
#      as documented.
#   scripts/api-check.sh BASE_URL API_KEY     e.g. http://127.0.0.1:3000 "$key"
# BASE_URL is scheme://host[:port]; the path of the document's servers[0].url
# (e.g. /v1) goes in front of every documented path. Settings, all optional:
#   PINBRIDGE_FUZZ_CHECKS    schemathesis checks, comma-separated, or `all`
#                            (default not_a_server_error and the three conformance checks)
#   PINBRIDGE_FUZZ_EXAMPLES  test cases per operation in the fuzzing phase (default 25)
#   PINBRIDGE_FUZZ_EXCLUDE   regex (Python, searched) over "METHOD /path" with the path
#                            as written in the document, e.g. '^DELETE |^[A-Z]+ /pinterest/'
#   PINBRIDGE_FUZZ_PHASES    default examples,coverage,fuzzing; add ",stateful" to also
#                            chain operations through links (POST then GET ...)
#   PINBRIDGE_FUZZ_SEED      default 1
#   PINBRIDGE_FUZZ_REPORT    directory for the document, junit.xml and the log
#                            (default /tmp/pinbridge-fuzz)
#   PINBRIDGE_FUZZ_ARGS      more `schemathesis run` arguments, split on spaces
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BASE_URL API_KEY" >&2
  exit 2
fi
base_url=${1%/}
api_key=$2
if [[ ! "$base_url" =~ ^https?://[^/]+$ ]]; then
  echo "api-check: BASE_URL is scheme://host[:port], without a path: $1" >&2
  exit 2
fi
checks=${PINBRIDGE_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}
examples=${PINBRIDGE_FUZZ_EXAMPLES:-25}
exclude=${PINBRIDGE_FUZZ_EXCLUDE:-}
phases=${PINBRIDGE_FUZZ_PHASES:-examples,coverage,fuzzing}
seed=${PINBRIDGE_FUZZ_SEED:-1}
report=${PINBRIDGE_FUZZ_REPORT:-/tmp/pinbridge-fuzz}

say() { printf '\033[1mapi-check:\033[0m %s\n' "$*" >&2; }

bin=$("$(dirname "$0")/api-tools.sh" path)
# Nothing but BASE_URL is ever contacted: no proxy, and no document that $refs
# other files (checked below).
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY

# Only what this script writes is cleared, so that nothing of an earlier run
# (schemathesis replays the crashes it cached) changes this one.
mkdir -p "$report"
report=$(cd "$report" && pwd)
rm -rf "$report/.schemathesis" "$report/.hypothesis" "$report/openapi.json" \
       "$report/junit.xml" "$report/schemathesis.txt"
doc=$report/openapi.json
start=$SECONDS

# Small steps schemathesis does not do, in the venv's Python (no proxy, 10 s):
#   fetch DOC     save BASE_URL/v1/openapi.json to DOC
#   precheck DOC  refuse $refs to other documents (they would be fetched), and
#                 make sure the key is accepted (no 401) by the GET operations that
#                 need no parameter and are not excluded: a refused key gives only
#                 401s, which no check fails on
helper() {
  PB_KEY=$api_key PB_EXCLUDE=$exclude "$bin/python" - "$base_url" "$@" <<'EOF'
import json, os, re, sys, urllib.error, urllib.parse, urllib.request

base_url, mode, doc_path = sys.argv[1:]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

def get(path):
    req = urllib.request.Request(base_url + path, headers={"Authorization": "Bearer " + os.environ["PB_KEY"]})
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError as e:  # refused, timed out, ...
        sys.exit(f"api-check: GET {base_url}{path}: {getattr(e, 'reason', e)}")

if mode == "fetch":
    status, body = get("/v1/openapi.json")
    if status != 200:
        sys.exit(f"api-check: GET /v1/openapi.json answered {status}: {body[:300]!r}")
    open(doc_path, "wb").write(body)
    sys.exit()

doc = json.load(open(doc_path))
def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for v in node.values():
            yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)
external = sorted({r for r in refs(doc) if not r.startswith("#")})
if external:
    sys.exit(f"api-check: the document $refs other documents: {external}")

servers = doc.get("servers") or [{"url": "/"}]
prefix = urllib.parse.urlparse(servers[0]["url"]).path.rstrip("/")
tried = []
for path, item in doc.get("paths", {}).items():
    params = item.get("parameters", []) + item.get("get", {}).get("parameters", [])
    excluded = os.environ["PB_EXCLUDE"] and re.search(os.environ["PB_EXCLUDE"], "GET " + path)
    if "get" not in item or "{" in path or any(p.get("required") for p in params) or excluded:
        continue
    status, _ = get(prefix + path)
    if status == 401:
        sys.exit(f"api-check: the API key was refused: GET {prefix}{path} answered {status}")
    tried.append(prefix + path)
print("api-check: the key is accepted by GET " + ", ".join(tried) if tried
      else "api-check: no GET without parameters to try the key on", file=sys.stderr)
EOF
}

# 1. The document, validated as OpenAPI 3.1 (all errors at once), then prechecked.
say "fetching $base_url/v1/openapi.json"
helper fetch "$doc"
"$bin/openapi-spec-validator" --schema 3.1 --validation-errors all "$doc"
helper precheck "$doc"

# 2. Test the live API. Run from the report directory: schemathesis and
#    Hypothesis keep their caches (.schemathesis, .hypothesis) in the working
#    directory, and schemathesis reads a schemathesis.toml found there or above.
args=(run "$doc" --origin "$base_url" --header "Authorization: Bearer $api_key"
      --checks "$checks" --phases "$phases" --max-examples "$examples" --seed "$seed"
      --workers 1 --request-timeout 10 --generation-database none
      --report junit --report-dir "$report" --report-junit-path "$report/junit.xml")
[[ -n "$exclude" ]] && args+=(--exclude-name-regex "$exclude")
# shellcheck disable=SC2206 # split on spaces on purpose
[[ -n "${PINBRIDGE_FUZZ_ARGS:-}" ]] && args+=(${PINBRIDGE_FUZZ_ARGS})
say "schemathesis: checks $checks; phases $phases; $examples examples; seed $seed"
rc=0
(cd "$report" && HYPOTHESIS_STORAGE_DIRECTORY="$report/.hypothesis" \
  "$bin/schemathesis" --no-color "${args[@]}") 2>&1 | tee "$report/schemathesis.txt" || rc=$?
if [[ $rc -ne 0 ]]; then
  say "FAILED (exit $rc) in $((SECONDS - start)) s; log, junit.xml and the document in $report"
  exit "$rc"
fi
say "passed in $((SECONDS - start)) s; log, junit.xml and the document in $report"

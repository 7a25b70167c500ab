#!/usr/bin/env bash
# Regenerates pinbridge's typed API clients from its OpenAPI document, with the
# pinned generators of scripts/sdk-tools.sh (installed first when missing):
#   OUT/openapi.json            the document, pretty-printed with sorted keys
#   OUT/js/src/api/schema.ts    its TypeScript types (openapi-typescript), for
#                               sdk/js's openapi-fetch client (src/api/client.ts)
#   OUT/python/                 the Python client (openapi-python-client),
#                               package pinbridge_client; replaced whole
#   scripts/sdk-generate.sh SOURCE [OUT]
# SOURCE is a file holding the document, or a running pinbridge's URL (its
# base, e.g. http://127.0.0.1:3000, or the document's own /v1/openapi.json).
# OUT defaults to the repo's sdk/ (server/tests/http/sdk_clients.rs gives a
# temporary folder and compares). The same document always gives the same files.
# `make sdk` runs it with the document pinbridge serves.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 SOURCE [OUT]   (SOURCE: a document file or a pinbridge URL)" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
source=$1
out=${2:-$root/sdk}
say() { printf '\033[1m%s:\033[0m %s\n' sdk-generate "$*" >&2; }

bin=$("$root/scripts/sdk-tools.sh" path)
# Nothing but SOURCE is ever contacted: no proxy.
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
# The generators' own output only: no caches in the output, no bytecode.
export RUFF_NO_CACHE=true PYTHONDONTWRITEBYTECODE=1 NO_COLOR=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The document, in one stable form: generated files follow its key order.
"$bin/python" - "$source" "$work/openapi.json" <<'PY'
import json, sys, urllib.request

source, target = sys.argv[1], sys.argv[2]
if source.startswith(("http://", "https://")):
    url = source if source.endswith(".json") else source.rstrip("/") + "/v1/openapi.json"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=30) as answer:
        text = answer.read().decode("utf-8")
else:
    with open(source, encoding="utf-8") as f:
        text = f.read()
doc = json.loads(text)
if not (isinstance(doc, dict) and str(doc.get("openapi", "")).startswith("3.") and "paths" in doc):
    sys.exit(f"sdk-generate: {source} is not an OpenAPI 3 document")
with open(target, "w", encoding="utf-8") as f:
    f.write(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
PY

# 2. TypeScript: the types openapi-fetch's client is typed with.
"$root/sdk/js/node_modules/.bin/openapi-typescript" "$work/openapi.json" \
  --output "$work/schema.ts" >"$work/openapi-typescript.log" 2>&1 \
  || { cat "$work/openapi-typescript.log" >&2; exit 1; }

# 3. Python: openapi-python-client, formatted by the pinned ruff (post hooks).
cat >"$work/python-config.yaml" <<'YAML'
project_name_override: pinbridge-client
package_name_override: pinbridge_client
YAML
(cd "$work" && PATH="$bin:$PATH" "$bin/openapi-python-client" generate \
  --path "$work/openapi.json" --config "$work/python-config.yaml" \
  --meta pdm --output-path "$work/python" --fail-on-warning \
  >"$work/openapi-python-client.log" 2>&1) \
  || { cat "$work/openapi-python-client.log" >&2; exit 1; }
find "$work/python" \( -name __pycache__ -o -name .ruff_cache \) -prune -exec rm -rf {} +

# 4. Into place.
mkdir -p "$out/js/src/api"
cp "$work/openapi.json" "$out/openapi.json"
cp "$work/schema.ts" "$out/js/src/api/schema.ts"
rm -rf "$out/python"
cp -R "$work/python" "$out/python"
say "wrote $out/openapi.json, $out/js/src/api/schema.ts and $out/python/ (pinbridge_client)"

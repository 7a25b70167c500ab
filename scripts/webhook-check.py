"""A webhook receiver that checks pinbridge's webhooks with tools that share no
code with it: the official Standard Webhooks library (`standardwebhooks` from
PyPI) verifies every request's signature, and jsonschema validates every body
against the schemas pinbridge publishes in its OpenAPI document.

Run in the venv scripts/webhook-tools.sh makes, by
server/tests/http/webhooks_sdk.rs:

    python webhook-check.py OPENAPI_URL

It fetches the document at OPENAPI_URL (pinbridge's /v1/openapi.json), listens
on 127.0.0.1 (a free port) and prints one JSON line, {"url": ".../hook"}, to
stdout. Then, until stdin closes or /control/stop is posted:

  POST /hook              a webhook request: answered 200 when every check
                          passes, 400 (with the failures) otherwise; either way
                          it is recorded
  PUT  /control/secrets   {"secrets": ["whsec_…", …]}: the secrets that must
                          each verify every request from now on (each one is
                          tried on its own, with a Webhook of its own)
  GET  /control/records   what was received: one record per request
  POST /control/stop      stops

The checks of one request:
  - each secret verifies it with standardwebhooks.Webhook(secret).verify;
  - and none of the controls does: a secret nobody has, and the body with one
    byte more (a verifier that accepts those proves nothing);
  - the body validates (Draft 2020-12, formats checked) against the schema the
    document's `webhooks` gives its `type`, and against `WebhookEvent`, the
    union of every event (oneOf: exactly one must match); the headers that
    webhook requires are there, each valid against its schema;
  - and the schemas are strict: the body with a field added (at the top or in
    `data`) does not validate, its type's schema takes no other `type`, and
    `WebhookEvent` no unknown one.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import sys
import threading
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import referencing
from referencing.jsonschema import DRAFT202012
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

DOC_URI = "urn:pinbridge:openapi"
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def fetch(url: str) -> dict:
    # Nothing but the given address is contacted: no proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as r:
        return json.load(r)


def format_checker() -> jsonschema.FormatChecker:
    """Every format jsonschema knows (uuid among them), and date-time as RFC
    3339 (jsonschema checks it only with an optional package)."""
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not RFC3339.match(value):
            raise ValueError(f"not RFC 3339: {value!r}")
        datetime.fromisoformat(value.replace("z", "Z"))
        return True

    return checker


class Schemas:
    def __init__(self, doc: dict):
        resource = referencing.Resource(contents=doc, specification=DRAFT202012)
        registry = referencing.Registry().with_resource(DOC_URI, resource)
        checker = format_checker()

        def validator(ref: str) -> jsonschema.Draft202012Validator:
            assert ref.startswith("#/"), f"a local $ref: {ref}"
            return jsonschema.Draft202012Validator(
                {"$ref": DOC_URI + ref}, registry=registry, format_checker=checker
            )

        webhooks = doc.get("webhooks") or {}
        if not webhooks:
            sys.exit("webhook-check: the document has no webhooks")
        self.by_type = {}
        # Per type, the headers the document requires, each with its schema.
        self.headers = {}
        for event_type, item in webhooks.items():
            op = item["post"]
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            self.by_type[event_type] = validator(schema["$ref"])
            self.headers[event_type] = {
                p["name"].lower(): jsonschema.Draft202012Validator(p["schema"], format_checker=checker)
                for p in op.get("parameters", [])
                if p["in"] == "header" and p.get("required")
            }
        self.union = validator("#/components/schemas/WebhookEvent")
        for v in [*self.by_type.values(), self.union]:
            jsonschema.Draft202012Validator.check_schema(v.schema)

    def documented_type(self, event_type: object) -> object:
        """The document's webhook for an event's `type`: itself, or `audit.*`
        for the audit stream's types (`audit.` and the record's action)."""
        if event_type in self.by_type:
            return event_type
        if isinstance(event_type, str) and event_type.startswith("audit.") and "audit.*" in self.by_type:
            return "audit.*"
        return event_type

    def errors(self, body: object, headers: dict[str, str]) -> list[str]:
        """What is wrong with `body` and `headers`, in words; empty when they
        are as the document says."""
        out = []
        event_type = body.get("type") if isinstance(body, dict) else None
        key = self.documented_type(event_type)
        typed = self.by_type.get(key)
        if typed is None:
            out.append(f"no webhook in the document for type {event_type!r}")
        else:
            out += [f"{event_type}: {e.json_path}: {e.message}" for e in typed.iter_errors(body)]
            for name, v in self.headers[key].items():
                if name not in headers:
                    out.append(f"header {name} missing")
                else:
                    out += [f"header {name}: {e.message}" for e in v.iter_errors(headers[name])]
        out += [f"WebhookEvent: {e.json_path}: {e.message}" for e in self.union.iter_errors(body)]
        return out[:20]

    def strictness(self, body: dict) -> list[str]:
        """Changed copies of a valid body that must not validate."""
        out = []
        extra = copy.deepcopy(body)
        extra["unexpected"] = 1
        if self.union.is_valid(extra):
            out.append("a body with an undocumented field validates")
        data = copy.deepcopy(body)
        data["data"]["unexpected"] = 1
        if self.union.is_valid(data):
            out.append("data with an undocumented field validates")
        key = self.documented_type(body["type"])
        own = self.by_type[key]
        for other in self.by_type:
            if other not in (key, body["type"]) and own.is_valid(dict(body, type=other)):
                out.append(f"{body['type']}'s schema takes type {other}")
        if self.union.is_valid(dict(body, type="connection.unknown")):
            out.append("WebhookEvent takes an unknown type")
        return out


class State:
    def __init__(self, schemas: Schemas):
        self.schemas = schemas
        self.lock = threading.Lock()
        self.secrets: list[str] = []
        self.records: list[dict] = []
        # A secret nobody has: it must never verify.
        self.stranger = Webhook("whsec_" + base64.b64encode(os.urandom(32)).decode())


def check(state: State, body: bytes, headers: dict[str, str]) -> dict:
    with state.lock:
        secrets = list(state.secrets)
    failures = []
    verified = []
    for i, secret in enumerate(secrets):
        try:
            Webhook(secret).verify(body, headers)
            verified.append(True)
        except WebhookVerificationError as e:
            verified.append(False)
            failures.append(f"secret {i} does not verify: {e}")
    if not secrets:
        failures.append("no secret to verify with yet")
    controls = [("a stranger's secret", state.stranger, body)]
    if secrets:
        controls.append(("the body with a byte more", Webhook(secrets[0]), body + b" "))
    for what, hook, data in controls:
        try:
            hook.verify(data, headers)
            failures.append(f"{what} verifies")
        except WebhookVerificationError:
            pass
    parsed = None
    try:
        parsed = json.loads(body)
    except ValueError as e:
        failures.append(f"the body is not JSON: {e}")
    schema_errors = []
    if parsed is not None:
        schema_errors = state.schemas.errors(parsed, headers)
        failures += schema_errors
        if not schema_errors:
            failures += state.schemas.strictness(parsed)
    event = parsed if isinstance(parsed, dict) else {}
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    connection = data.get("connection") if isinstance(data.get("connection"), dict) else {}
    return {
        "webhook_id": headers.get("webhook-id"),
        "id": event.get("id"),
        "type": event.get("type"),
        "connection_id": connection.get("id"),
        "signatures": len((headers.get("webhook-signature") or "").split()),
        "verified": verified,
        "schema_valid": parsed is not None and not schema_errors,
        "failures": failures,
        "status": 400 if failures else 200,
    }


def handler(state: State, server_ref: list):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: the records say what happened
            pass

        def answer(self, status: int, value: object) -> None:
            data = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("content-length") or 0))

        def do_POST(self):
            if self.path == "/hook":
                body = self.body()
                headers = {k.lower(): v for k, v in self.headers.items()}
                record = check(state, body, headers)
                with state.lock:
                    state.records.append(record)
                self.answer(record["status"], {"failures": record["failures"]})
            elif self.path == "/control/stop":
                self.body()
                self.answer(200, {"stopping": True})
                threading.Thread(target=server_ref[0].shutdown, daemon=True).start()
            else:
                self.answer(404, {"error": "no such path"})

        def do_PUT(self):
            if self.path != "/control/secrets":
                return self.answer(404, {"error": "no such path"})
            secrets = json.loads(self.body())["secrets"]
            with state.lock:
                state.secrets = list(secrets)
            self.answer(200, {"secrets": len(secrets)})

        def do_GET(self):
            if self.path != "/control/records":
                return self.answer(404, {"error": "no such path"})
            with state.lock:
                records = list(state.records)
            self.answer(200, {"records": records})

    return Handler


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: webhook-check.py OPENAPI_URL")
    schemas = Schemas(fetch(sys.argv[1]))
    state = State(schemas)
    server_ref: list = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state, server_ref))
    server.daemon_threads = True
    server_ref.append(server)

    # The test's end (stdin closed) ends the receiver too.
    def watch_stdin():
        sys.stdin.read()
        server.shutdown()

    threading.Thread(target=watch_stdin, daemon=True).start()
    host, port = server.server_address[:2]
    print(
        json.dumps({"url": f"http://{host}:{port}/hook", "event_types": sorted(schemas.by_type)}),
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()

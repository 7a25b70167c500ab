"""Checks pinbridge's MCP gateway (/mcp) with the official MCP Python SDK.

Run by scripts/mcp-check.sh (in the venv scripts/mcp-tools.sh made), from
server/tests/http/mcp_sdk.rs, which writes CONFIG.json:

    {"base_url", "mcp_url", "sim_url", "app_id",
     "keys": {"agent", "agent_only", "bound", "no_agent", "revoked", "other_environment"},
     "bound_end_user": "alice",
     "connections": {END_USER: {"connection_id", "username"}, ...},
     "other_environment": {"connection_id", "end_user_id", "username"},
     "refresh": {"end_user_id", "agents"}, "revoke": {"end_user_id"}}

The areas, in order (each says what it checks where it is defined):
  per SDK mode ("legacy": initialize and a session; "auto": discovery, then
  the stateless 2026-07-28 revision): catalogue, keys refused at connect,
  connections, reads, writes, tool refusals; then a connection revoked at
  Pinterest (both modes), twenty agents at once on a token about to expire,
  and board privacy as Pinterest allows it.

What the tools did is read from pinterest-sim itself (its admin API, and its
/v5 API with a token of a reader app of this script's own), never through
pinbridge. Every tool call is counted per environment into REPORT.json, which
the Rust test compares with what pinbridge recorded. Exits 1 on the first
failed check, naming the area and what was expected.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sys
import time
import urllib.error
import urllib.request
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import jsonschema
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, Implementation
from mcp_types.version import LATEST_HANDSHAKE_VERSION, LATEST_MODERN_VERSION

MODES = ("legacy", "auto")
NEGOTIATED = {"legacy": LATEST_HANDSHAKE_VERSION, "auto": LATEST_MODERN_VERSION}

# The tools in the order tools/list gives them, with the hints a client may
# rely on: (readOnlyHint, destructiveHint, idempotentHint, openWorldHint).
READ = (True, False, True, True)
CREATE = (False, False, False, True)
CHANGE = (False, True, True, True)
TOOLS = {
    "list_connections": (True, False, True, False),
    "get_user_account": READ,
    "list_boards": READ,
    "get_board": READ,
    "create_board": CREATE,
    "update_board": CHANGE,
    "delete_board": CHANGE,
    "list_board_pins": READ,
    "get_pin": READ,
    "create_pin": CREATE,
    "update_pin": CHANGE,
    "delete_pin": CHANGE,
    "search_pins": READ,
}

# The reader app this script registers in the simulator to look at accounts
# directly (its requests are told apart from pinbridge's by client id).
READER_APP = "8080808"
READER_SCOPES = "user_accounts:read,boards:read,boards:read_secret,pins:read,pins:read_secret"


class CheckFailed(Exception):
    pass


def expect(condition: Any, what: str) -> None:
    """Fails the check with `what` (what was expected) unless `condition`."""
    if not condition:
        raise CheckFailed(what)


def expect_eq(got: Any, want: Any, what: str) -> None:
    if got != want:
        raise CheckFailed(f"{what}: expected {want!r}, got {got!r}")


# ----- the simulator, read directly ------------------------------------------


class Sim:
    """pinterest-sim: its admin API, its request log, and its /v5 API as a
    reader app of this script's own (so pinbridge is never asked)."""

    def __init__(self, url: str, app_id: str):
        self.url = url.rstrip("/")
        self.app_id = app_id
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.tokens: dict[str, str] = {}
        self.seen = 0  # the request log's sequence numbers only grow

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        if token is not None:
            req.add_header("authorization", "Bearer " + token)
        try:
            with self.opener.open(req, timeout=10) as res:
                status, raw = res.status, res.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        return status, (json.loads(raw) if raw else None)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        status, got = self.request(method, path, body)
        expect(200 <= status < 300, f"the simulator's {method} {path} answers 2xx, not {status}: {got}")
        return got

    def start(self) -> None:
        self.admin(
            "POST",
            "/_sim/apps",
            {"id": READER_APP, "name": "mcp-check reader", "tier": "standard",
             "redirect_uris": ["http://127.0.0.1:9/unused"]},
        )

    def user(self, username: str) -> dict:
        """The account as the admin API shows it: id, username, boards (id, name, pin_count)."""
        return self.admin("GET", f"/_sim/users/{username}")

    def boards(self, username: str) -> dict[str, dict]:
        return {b["id"]: b for b in self.user(username)["boards"]}

    def v5(self, username: str, path: str) -> tuple[int, Any]:
        """GET /v5/… as the account, through the reader app."""
        if username not in self.tokens:
            minted = self.admin(
                "POST", "/_sim/tokens",
                {"client_id": READER_APP, "username": username, "scopes": READER_SCOPES},
            )
            self.tokens[username] = minted["items"][0]["access_token"]
        return self.request("GET", "/v5/" + path, token=self.tokens[username])

    def board(self, username: str, board_id: str) -> dict | None:
        status, got = self.v5(username, f"boards/{board_id}")
        return got if status == 200 else None

    def pin(self, username: str, pin_id: str) -> dict | None:
        status, got = self.v5(username, f"pins/{pin_id}")
        return got if status == 200 else None

    def pins_of(self, username: str, board_id: str) -> list[dict]:
        status, got = self.v5(username, f"boards/{board_id}/pins?page_size=250")
        expect_eq(status, 200, f"the simulator lists the pins of board {board_id}")
        return got["items"]

    def seq_now(self) -> int:
        """The newest entry of the request log now."""
        while True:
            page = self.admin("GET", f"/_sim/requests?since={self.seen}&limit=10000")
            if not page["items"]:
                return self.seen
            self.seen = page["last_seq"]

    def pinbridge_requests(self, since: int) -> list[dict]:
        """What pinbridge (the app it is configured with) asked Pinterest since `since`."""
        out, seq = [], since
        while True:
            page = self.admin("GET", f"/_sim/requests?since={seq}&limit=10000")
            if not page["items"]:
                return [r for r in out if r.get("client_id") == self.app_id]
            out.extend(page["items"])
            seq = page["last_seq"]


# ----- the SDK ----------------------------------------------------------------


class Counts:
    """Tool calls made, per environment and tool, as ok or error: what
    pinbridge must have recorded."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, dict[str, int]]] = {}

    def add(self, environment: str, tool: str, ok: bool) -> None:
        tools = self.calls.setdefault(environment, {})
        tally = tools.setdefault(tool, {"ok": 0, "error": 0})
        tally["ok" if ok else "error"] += 1


COUNTS = Counts()
# Each tool's schemas as the first listing gave them (both modes must agree).
SCHEMAS: dict[str, tuple[dict, dict]] = {}


def inside(exc: BaseException, kind: type, seen: int = 0) -> Any:
    """The exception of `kind` in what was raised: the SDK's task groups wrap
    what is raised within them (a failed check, its own MCPError) in groups."""
    if isinstance(exc, kind):
        return exc
    if seen > 20:
        return None
    for inner in getattr(exc, "exceptions", ()):
        found = inside(inner, kind, seen + 1)
        if found is not None:
            return found
    cause = exc.__cause__ or exc.__context__
    return inside(cause, kind, seen + 1) if cause is not None else None


def mcp_error(exc: BaseException) -> MCPError | None:
    return inside(exc, MCPError)


class Agent:
    """One connected SDK client (one key, one mode), whose tool calls are
    checked and counted."""

    def __init__(self, client: Client, environment: str, mode: str, http: list):
        self.client = client
        self.environment = environment
        self.mode = mode
        self.http = http  # (method, status, headers) of every HTTP answer

    async def list_tools(self) -> dict[str, Any]:
        listed = await self.client.list_tools()
        expect(listed.next_cursor is None, "tools/list gives every tool on one page")
        return {t.name: t for t in listed.tools}

    async def call(self, tool: str, arguments: dict) -> Any:
        result = await self.client.call_tool(tool, arguments)
        COUNTS.add(self.environment, tool, not result.is_error)
        return result

    async def ok(self, tool: str, arguments: dict) -> dict:
        """Calls a tool with arguments its input schema accepts: its
        structuredContent, checked against its output schema and its text."""
        input_schema, output_schema = SCHEMAS[tool]
        errors = [e.message for e in jsonschema.Draft202012Validator(input_schema).iter_errors(arguments)]
        expect(not errors, f"[{self.mode}] the input schema of {tool} accepts {arguments}: {errors}")
        result = await self.call(tool, arguments)
        text = result.content[0].text if result.content else ""
        expect(not result.is_error, f"[{self.mode}] {tool}({arguments}) succeeds, not: {text}")
        structured = result.structured_content
        expect(isinstance(structured, dict), f"[{self.mode}] {tool} answers structuredContent: {result}")
        errors = [e.message for e in jsonschema.Draft202012Validator(output_schema).iter_errors(structured)]
        expect(not errors, f"[{self.mode}] {tool}'s structuredContent matches its outputSchema: {errors}")
        expect_eq(json.loads(text), structured, f"[{self.mode}] {tool}'s text content is its structuredContent")
        return structured

    async def refused(self, tool: str, arguments: dict, *words: str) -> str:
        """Calls a tool that must fail as a tool error (isError) whose text
        holds every one of `words`: that text."""
        result = await self.call(tool, arguments)
        text = " ".join(getattr(c, "text", "") for c in result.content)
        expect(result.is_error, f"[{self.mode}] {tool}({arguments}) is a tool error, not: {result.structured_content}")
        expect(not result.structured_content, f"[{self.mode}] a tool error of {tool} has no structuredContent")
        for word in words:
            expect(word in text, f"[{self.mode}] the tool error of {tool}({arguments}) says {word!r}: {text}")
        return text


def environment_of(key_name: str) -> str:
    return "other_environment" if key_name == "other_environment" else "development"


@asynccontextmanager
async def connect(cfg: dict, key_name: str, mode: str, key: str | None = None, http: list | None = None):
    """An SDK client with the named key (or `key`), connected in `mode`;
    every HTTP answer it gets is appended to `http`."""
    http = [] if http is None else http

    async def seen(response: httpx2.Response) -> None:
        http.append((response.request.method, response.status_code, response.headers))

    secret = key if key is not None else cfg["keys"][key_name]
    async with httpx2.AsyncClient(
        headers={"authorization": f"Bearer {secret}"},
        timeout=httpx2.Timeout(30.0),
        trust_env=False,
        event_hooks={"response": [seen]},
    ) as client:
        transport = streamable_http_client(cfg["mcp_url"], http_client=client)
        async with Client(
            transport, mode=mode, client_info=Implementation(name="pinbridge-mcp-check", version="1")
        ) as sdk:
            yield Agent(sdk, environment_of(key_name), mode, http)


async def refused_at_connect(cfg: dict, key_name: str, mode: str, key: str | None = None) -> list:
    """Connects with a key pinbridge must refuse: the SDK raises an MCPError at
    connect (it maps an HTTP 4xx without a JSON-RPC body to one). The HTTP
    answers it got, as (method, status, headers)."""
    http: list = []
    try:
        async with connect(cfg, key_name, mode, key, http):
            pass
    except Exception as e:  # the SDK raises exception groups
        expect(mcp_error(e) is not None, f"[{mode}] a refused {key_name} key makes the SDK raise MCPError, not {e!r}")
        return http
    raise CheckFailed(f"[{mode}] the {key_name} key was accepted: {[(m, s) for m, s, _ in http]}")


# ----- the areas --------------------------------------------------------------


async def check_catalogue(cfg: dict, mode: str) -> None:
    """The negotiated version, the 13 tools in order, their schemas valid JSON
    Schema 2020-12, connection_id/end_user_id optional on all but
    list_connections, their annotations; a legacy session ends with the SDK's
    DELETE (pinbridge forgets it)."""
    async with connect(cfg, "agent", mode) as agent:
        client = agent.client
        expect_eq(client.protocol_version, NEGOTIATED[mode], f"[{mode}] the negotiated protocol version")
        if client.server_info is not None:
            expect_eq(client.server_info.name, "pinbridge", f"[{mode}] the server's name")
        if mode == "legacy":
            expect(client.server_info is not None, "[legacy] initialize names the server")
            expect("list_connections" in (client.instructions or ""), "[legacy] the instructions name list_connections")
            expect(client.server_capabilities.tools is not None, "[legacy] the server has the tools capability")
        tools = await agent.list_tools()
        expect_eq(list(tools), list(TOOLS), f"[{mode}] the tools listed, in order")
        for name, tool in tools.items():
            where = f"[{mode}] {name}"
            expect(tool.title and len(tool.description or "") > 40, f"{where} has a title and a description")
            for kind, schema in (("inputSchema", tool.input_schema), ("outputSchema", tool.output_schema)):
                expect(isinstance(schema, dict), f"{where} has an {kind}")
                try:
                    jsonschema.Draft202012Validator.check_schema(schema)
                except jsonschema.SchemaError as e:
                    raise CheckFailed(f"{where}'s {kind} is not valid JSON Schema 2020-12: {e.message}") from e
                expect_eq(schema.get("type"), "object", f"{where}'s {kind} type")
            properties = tool.input_schema.get("properties", {})
            required = tool.input_schema.get("required", [])
            if name != "list_connections":
                for target in ("connection_id", "end_user_id"):
                    expect(target in properties and target not in required, f"{where} takes an optional {target}")
            a = tool.annotations
            expect(a is not None, f"{where} has annotations")
            hints = (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint)
            expect_eq(hints, TOOLS[name], f"{where}'s (readOnly, destructive, idempotent, openWorld) hints")
            schemas = (tool.input_schema, tool.output_schema)
            expect_eq(SCHEMAS.setdefault(name, schemas), schemas, f"{where}'s schemas are the same in both modes")
        session = next((h.get("mcp-session-id") for _, _, h in agent.http if h.get("mcp-session-id")), None)
        expect((session is not None) == (mode == "legacy"), f"[{mode}] a session id only with the handshake")
    if session is not None:
        # The SDK ended the session when it closed (DELETE): it is unknown now.
        async with httpx2.AsyncClient(trust_env=False) as raw:
            after = await raw.post(
                cfg["mcp_url"],
                headers={"authorization": f"Bearer {cfg['keys']['agent']}", "mcp-session-id": session,
                         "mcp-protocol-version": NEGOTIATED[mode], "accept": "application/json, text/event-stream"},
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            )
        expect_eq(after.status_code, 404, "[legacy] the session the SDK closed is unknown afterwards")


async def check_keys_refused(cfg: dict, mode: str) -> None:
    """A wrong or a revoked key: the SDK raises at connect, on HTTP 401 with a
    Bearer challenge saying why; a key without `agent`: on HTTP 403."""
    for name, key, status, says in (
        ("wrong", cfg["keys"]["agent"][:-4] + "zzzz", 401, "invalid_token"),
        ("revoked", None, 401, "revoked"),
        ("no_agent", None, 403, ""),
    ):
        answers = await refused_at_connect(cfg, name, mode, key)
        expect(answers, f"[{mode}] the {name} key got an HTTP answer")
        statuses = [s for _, s, _ in answers]
        expect(all(s == status for s in statuses), f"[{mode}] the {name} key is answered {status}: {statuses}")
        if status == 401:
            challenge = answers[0][2].get("www-authenticate", "")
            expect(challenge.startswith('Bearer realm="pinbridge"'), f"[{mode}] a 401 challenges Bearer: {challenge}")
            expect(says in challenge, f"[{mode}] the challenge for the {name} key says {says!r}: {challenge}")


async def check_connections(cfg: dict, sim: Sim, mode: str) -> None:
    """list_connections: every end user of the environment with their
    Pinterest username (as the simulator has it) and state, filtered and
    paged; a bound key sees its end user only; another environment's key sees
    its own only."""
    people = cfg["connections"]
    async with connect(cfg, "agent", mode) as agent:
        listed = (await agent.ok("list_connections", {}))["connections"]
        expect_eq(sorted(c["end_user_id"] for c in listed), sorted(people), f"[{mode}] the end users listed")
        for c in listed:
            person = people[c["end_user_id"]]
            expect_eq(c["connection_id"], person["connection_id"], f"[{mode}] {c['end_user_id']}'s connection id")
            expect_eq(c["pinterest_username"], sim.user(person["username"])["username"],
                      f"[{mode}] {c['end_user_id']}'s Pinterest username, as the simulator has it")
            if c["end_user_id"] != cfg["revoke"]["end_user_id"]:
                expect(c["state"] == "active" and c["usable"], f"[{mode}] {c['end_user_id']} is active: {c}")
            expect("boards:write" in c["scopes"], f"[{mode}] {c['end_user_id']}'s scopes are listed: {c['scopes']}")
        bob = (await agent.ok("list_connections", {"end_user_id": "bob"}))["connections"]
        expect_eq([c["end_user_id"] for c in bob], ["bob"], f"[{mode}] list_connections for end user bob")
        paged, cursor, pages = [], None, 0
        while True:
            args = {"limit": 1} | ({"cursor": cursor} if cursor else {})
            page = await agent.ok("list_connections", args)
            paged += [c["connection_id"] for c in page["connections"]]
            pages += 1
            cursor = page.get("next_cursor")
            if not cursor or pages > len(people) + 1:
                break
        expect_eq(sorted(paged), sorted(c["connection_id"] for c in listed), f"[{mode}] every connection, a page each")
    async with connect(cfg, "bound", mode) as agent:
        mine = (await agent.ok("list_connections", {}))["connections"]
        expect_eq([c["end_user_id"] for c in mine], [cfg["bound_end_user"]], f"[{mode}] what the bound key sees")
    async with connect(cfg, "other_environment", mode) as agent:
        theirs = (await agent.ok("list_connections", {}))["connections"]
        other = cfg["other_environment"]
        expect_eq([(c["connection_id"], c["pinterest_username"]) for c in theirs],
                  [(other["connection_id"], other["username"])], f"[{mode}] what the other environment's key sees")


async def collect(agent: Agent, tool: str, arguments: dict, items: str) -> tuple[list[dict], int]:
    """Every page of a paged tool, following `bookmark`: the items, the pages."""
    out, bookmark, pages = [], None, 0
    while True:
        page = await agent.ok(tool, arguments | ({"bookmark": bookmark} if bookmark else {}))
        out += page[items]
        pages += 1
        bookmark = page.get("bookmark")
        if not bookmark:
            return out, pages
        expect(pages < 100, f"[{agent.mode}] {tool} ends")


async def check_reads(cfg: dict, sim: Sim, mode: str) -> None:
    """get_user_account, list_boards and list_board_pins page by page,
    get_board, get_pin: what the simulator holds, for the account asked for."""
    alice, bob = cfg["connections"]["alice"], cfg["connections"]["bob"]
    account = sim.user(alice["username"])
    async with connect(cfg, "agent", mode) as agent:
        me = await agent.ok("get_user_account", {"end_user_id": "alice"})
        expect_eq((me["id"], me["username"]), (account["id"], account["username"]), f"[{mode}] alice's account")
        expect_eq(me.get("board_count"), len(account["boards"]), f"[{mode}] alice's board count")
        since = sim.seq_now()
        other = await agent.ok("get_user_account", {"connection_id": bob["connection_id"]})
        expect_eq(other["username"], bob["username"], f"[{mode}] bob's account, by connection_id")
        asked = sim.pinbridge_requests(since)
        expect_eq([(r["path"], r["username"]) for r in asked], [("/v5/user_account", bob["username"])],
                  f"[{mode}] pinbridge asked Pinterest once, as bob")

        by_id = {"connection_id": alice["connection_id"]}
        boards, pages = await collect(agent, "list_boards", by_id | {"page_size": 2}, "boards")
        expect_eq(sorted(b["id"] for b in boards), sorted(b["id"] for b in account["boards"]),
                  f"[{mode}] every board of alice's, page by page")
        expect_eq(pages, math.ceil(len(account["boards"]) / 2), f"[{mode}] pages of 2 boards")
        fullest = max(account["boards"], key=lambda b: b["pin_count"])
        board = await agent.ok("get_board", {"end_user_id": "alice", "board_id": fullest["id"]})
        expect_eq((board["id"], board["name"], board.get("pin_count")),
                  (fullest["id"], fullest["name"], fullest["pin_count"]), f"[{mode}] get_board")

        pins, pages = await collect(agent, "list_board_pins", by_id | {"board_id": fullest["id"], "page_size": 3}, "pins")
        at_sim = sim.pins_of(alice["username"], fullest["id"])
        expect_eq(sorted(p["id"] for p in pins), sorted(p["id"] for p in at_sim), f"[{mode}] every pin of the board")
        expect_eq(pages, math.ceil(fullest["pin_count"] / 3), f"[{mode}] pages of 3 pins")
        pin = await agent.ok("get_pin", {"end_user_id": "alice", "pin_id": pins[-1]["id"]})
        real = sim.pin(alice["username"], pins[-1]["id"])
        expect_eq((pin["id"], pin.get("board_id"), pin.get("title"), pin.get("link")),
                  (real["id"], real["board_id"], real.get("title") or None, real.get("link")), f"[{mode}] get_pin")
    async with connect(cfg, "bound", mode) as agent:
        mine = await agent.ok("get_user_account", {})
        expect_eq(mine["username"], alice["username"], f"[{mode}] the bound key acts for alice with no argument")


async def check_writes(cfg: dict, sim: Sim, mode: str) -> None:
    """create_board, update_board, create_pin (from an image URL), get_pin,
    update_pin (moving it to another board), search_pins, delete_pin,
    delete_board: each seen done in the simulator."""
    alice = cfg["connections"]["alice"]
    username = alice["username"]
    by_id = {"connection_id": alice["connection_id"]}
    by_user = {"end_user_id": "alice"}
    word = f"quokka{mode}"
    async with connect(cfg, "agent", mode) as agent:
        made = await agent.ok("create_board", by_user | {
            "name": f"MCP {mode} board", "description": "Made by an agent", "privacy": "PROTECTED"})
        board_id = made["id"]
        real = sim.board(username, board_id)
        expect(real is not None, f"[{mode}] the new board {board_id} exists in the simulator")
        expect_eq((real["name"], real["description"], real["privacy"]),
                  (f"MCP {mode} board", "Made by an agent", "PROTECTED"), f"[{mode}] the board as created")

        changed = await agent.ok("update_board", by_id | {
            "board_id": board_id, "name": f"MCP {mode} board, renamed", "privacy": "PUBLIC"})
        real = sim.board(username, board_id)
        expect_eq((real["name"], real["description"], real["privacy"]),
                  (f"MCP {mode} board, renamed", "Made by an agent", "PUBLIC"), f"[{mode}] the board as updated")
        expect_eq((changed["name"], changed.get("privacy")), (real["name"], "PUBLIC"), f"[{mode}] update_board's answer")

        account = sim.user(username)
        image = f"{cfg['sim_url']}/media/users/{account['id']}.svg"
        pin = await agent.ok("create_pin", by_user | {
            "board_id": board_id, "image_url": image, "title": f"Crispy {word} fritters",
            "description": "Grated, salted, fried.", "link": "https://example.com/fritters",
            "alt_text": "Fritters on a plate"})
        real = sim.pin(username, pin["id"])
        expect(real is not None, f"[{mode}] the new pin {pin['id']} exists in the simulator")
        expect_eq((real["board_id"], real["title"], real["link"], real["alt_text"]),
                  (board_id, f"Crispy {word} fritters", "https://example.com/fritters", "Fritters on a plate"),
                  f"[{mode}] the pin as created")
        expect_eq(sim.boards(username)[board_id]["pin_count"], 1, f"[{mode}] the new board holds the pin")
        again = await agent.ok("get_pin", by_id | {"pin_id": pin["id"]})
        expect_eq(again, pin, f"[{mode}] get_pin answers the pin as create_pin did")

        elsewhere = next(b["id"] for b in account["boards"] if b["id"] != board_id)
        before = sim.boards(username)[elsewhere]["pin_count"]
        moved = await agent.ok("update_pin", by_id | {
            "pin_id": pin["id"], "title": f"Crispier {word} fritters", "board_id": elsewhere})
        real = sim.pin(username, pin["id"])
        expect_eq((real["board_id"], real["title"]), (elsewhere, f"Crispier {word} fritters"), f"[{mode}] the pin as moved")
        expect_eq((moved.get("board_id"), moved.get("title")), (elsewhere, f"Crispier {word} fritters"),
                  f"[{mode}] update_pin's answer")
        counts = sim.boards(username)
        expect_eq((counts[board_id]["pin_count"], counts[elsewhere]["pin_count"]), (0, before + 1),
                  f"[{mode}] pin counts of the boards it left and joined")

        found = (await agent.ok("search_pins", by_user | {"query": word}))["pins"]
        expect_eq([p["id"] for p in found], [pin["id"]], f"[{mode}] search_pins finds the pin by a word of its title")

        gone = await agent.ok("delete_pin", by_user | {"pin_id": pin["id"]})
        expect_eq(gone, {"deleted": True, "id": pin["id"]}, f"[{mode}] delete_pin's answer")
        expect(sim.pin(username, pin["id"]) is None, f"[{mode}] the pin is gone from the simulator")
        await agent.refused("get_pin", by_user | {"pin_id": pin["id"]}, "no such pin")

        gone = await agent.ok("delete_board", by_id | {"board_id": board_id})
        expect_eq(gone, {"deleted": True, "id": board_id}, f"[{mode}] delete_board's answer")
        expect(sim.board(username, board_id) is None, f"[{mode}] the board is gone from the simulator")
        expect(board_id not in sim.boards(username), f"[{mode}] the account no longer lists the board")


async def check_tool_refusals(cfg: dict, sim: Sim, mode: str) -> None:
    """Calls that must fail as tool errors, or as a JSON-RPC error for an
    unknown tool, without pinbridge asking Pinterest anything."""
    alice, bob = cfg["connections"]["alice"], cfg["connections"]["bob"]
    other = cfg["other_environment"]
    bob_board = sim.user(bob["username"])["boards"][0]["id"]
    since = sim.seq_now()
    async with connect(cfg, "agent", mode) as agent:
        text = await agent.refused("get_user_account", {"connection_id": other["connection_id"]}, "No connection")
        expect(other["username"] not in text, f"[{mode}] nothing of the other environment's account is told")
        await agent.refused("get_user_account", {"end_user_id": other["end_user_id"]}, "has not connected")
        await agent.refused("get_user_account", {"connection_id": alice["connection_id"], "end_user_id": "alice"},
                            "not both")
        await agent.refused("get_user_account", {}, "connection_id", "end_user_id")
        await agent.refused("list_boards", {"end_user_id": "alice", "page_size": "two"}, "page_size")
        await agent.refused("get_board", {"end_user_id": "alice", "board_id": 42}, "board_id")
        await agent.refused("create_board", {"end_user_id": "alice"}, "name")
        try:
            result = await agent.client.call_tool("drop_all_boards", {"end_user_id": "alice"})
            raise CheckFailed(f"[{mode}] an unknown tool is a JSON-RPC error, not a result: {result}")
        except MCPError as e:
            expect_eq(e.code, INVALID_PARAMS, f"[{mode}] the JSON-RPC error code of an unknown tool")
            expect("Unknown tool" in e.message, f"[{mode}] the error says the tool is unknown: {e.message}")
    async with connect(cfg, "bound", mode) as agent:
        await agent.refused("get_user_account", {"end_user_id": "bob"}, "alice", "only")
        await agent.refused("get_user_account", {"connection_id": bob["connection_id"]}, "No connection", "alice")
        await agent.refused("delete_board", {"connection_id": bob["connection_id"], "board_id": bob_board},
                            "No connection")
        await agent.refused("delete_board", {"end_user_id": "bob", "board_id": bob_board}, "alice")
    async with connect(cfg, "other_environment", mode) as agent:
        await agent.refused("list_boards", {"connection_id": alice["connection_id"]}, "No connection")
    expect_eq(sim.pinbridge_requests(since), [], f"[{mode}] no refused call reached Pinterest")
    expect(bob_board in sim.boards(bob["username"]), f"[{mode}] bob's board is still there")


async def check_revoked_connection(cfg: dict, sim: Sim) -> None:
    """The end user took pinbridge's access back at Pinterest: a tool says they
    must reconnect, with a connect link that opens the connect page for a key
    with `connect`, and without one for a key without; list_connections then
    shows the connection unusable."""
    end_user = cfg["revoke"]["end_user_id"]
    username = cfg["connections"][end_user]["username"]
    revoked = sim.admin("POST", "/_sim/tokens/revoke", {"client_id": cfg["app_id"], "username": username})
    expect(revoked["revoked"] >= 2, f"the simulator revoked {end_user}'s tokens: {revoked}")
    for mode in MODES:
        async with connect(cfg, "agent", mode) as agent:
            text = await agent.refused("get_user_account", {"end_user_id": end_user}, "must reconnect", end_user)
            links = [w.rstrip(".,)") for w in text.split() if "/connect/" in w]
            expect(links, f"[{mode}] the tool error holds a connect link (the key has connect): {text}")
            link = links[0]
            expect(link.startswith(cfg["base_url"] + "/connect/"), f"[{mode}] the link is pinbridge's: {link}")
            async with httpx2.AsyncClient(trust_env=False) as browser:
                page = await browser.get(link)
            expect_eq(page.status_code, 200, f"[{mode}] GET {link}")
            expect("Continue to Pinterest" in page.text, f"[{mode}] the link opens the connect page")
            listed = (await agent.ok("list_connections", {"end_user_id": end_user}))["connections"]
            expect(len(listed) == 1 and not listed[0]["usable"] and listed[0]["state"] in ("needs_reauth", "revoked"),
                   f"[{mode}] {end_user}'s connection is listed unusable: {listed}")
        async with connect(cfg, "agent_only", mode) as agent:
            text = await agent.refused("get_user_account", {"end_user_id": end_user}, "must reconnect")
            expect("/connect/" not in text, f"[{mode}] no link for a key without connect: {text}")
            expect("connect permission" in text, f"[{mode}] it says how to get a link: {text}")


async def check_one_refresh_for_many_agents(cfg: dict, sim: Sim) -> None:
    """Twenty agents (SDK clients, a third in each mode, the third one pinning
    2026-07-28 without discovery) connected first, then
    asking at once for the account whose token is about to expire: all get
    it, and Pinterest saw exactly one refresh."""
    end_user, n = cfg["refresh"]["end_user_id"], cfg["refresh"]["agents"]
    username = cfg["connections"][end_user]["username"]
    ready, go = asyncio.Semaphore(0), asyncio.Event()

    async def one(i: int) -> str:
        async with connect(cfg, "agent", (*MODES, LATEST_MODERN_VERSION)[i % 3]) as agent:
            ready.release()
            await go.wait()
            return (await agent.ok("get_user_account", {"end_user_id": end_user}))["username"]

    since = sim.seq_now()
    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    for _ in range(n):
        await asyncio.wait_for(ready.acquire(), 30)
    go.set()
    names = await asyncio.gather(*tasks)
    expect_eq(names, [username] * n, f"all {n} agents got {end_user}'s account")
    asked = sim.pinbridge_requests(since)
    refreshes = [r for r in asked if r["method"] == "POST" and r["path"] == "/v5/oauth/token"]
    expect_eq(len(refreshes), 1, f"POSTs to /v5/oauth/token while {n} agents asked at once")
    expect_eq(refreshes[0]["body"].get("grant_type"), "refresh_token", "the one token request is a refresh")
    reads = [r for r in asked if r["path"] == "/v5/user_account"]
    expect_eq(len(reads), n, f"one /v5/user_account per agent")
    expect(all(r["username"] == username and r["status"] == 200 for r in reads), f"each as {username}, answered 200")


async def check_board_privacy(cfg: dict, sim: Sim) -> None:
    """What Pinterest allows for a board's privacy is what the tools say.
    A secret board needs boards:write_secret, which the environment does not
    ask for: the tool error must name that scope (not ones the connection
    has) and say the operator must add it, since reconnecting alone cannot
    grant it. Pinterest changes a board to PUBLIC or SECRET only: update_board's
    input schema must not offer PROTECTED. Nothing changes at Pinterest."""
    alice = cfg["connections"]["alice"]
    before = sim.boards(alice["username"])
    board = next(iter(before))
    async with connect(cfg, "agent", "legacy") as agent:
        text = await agent.refused("create_board", {"end_user_id": "alice", "name": "Hidden", "privacy": "SECRET"})
        expect("boards:write_secret" in text and "operator" in text,
               f"create_board SECRET: the tool error names boards:write_secret and says the operator must add it "
               f"to the environment's scopes, not: {text}")
        arguments = {"end_user_id": "alice", "board_id": board, "privacy": "PROTECTED"}
        await agent.refused("update_board", arguments)
        update_schema = SCHEMAS["update_board"][0]
        offered = not list(jsonschema.Draft202012Validator(update_schema).iter_errors(arguments))
        expect(not offered, "update_board's inputSchema refuses privacy PROTECTED, which Pinterest's "
                            "PATCH /v5/boards/{id} refuses (it takes PUBLIC or SECRET)")
    after = sim.boards(alice["username"])
    expect_eq(after, before, "the account's boards are as they were")
    expect_eq(sim.board(alice["username"], board)["privacy"], "PUBLIC", "the board's privacy is unchanged")


# ----- main -------------------------------------------------------------------


async def run(cfg: dict, seconds: dict) -> None:
    sim = Sim(cfg["sim_url"], cfg["app_id"])
    sim.start()

    async def area(name: str, check, *args) -> None:
        started = time.monotonic()
        print(f"mcp-check: {name} ...", file=sys.stderr, flush=True)
        try:
            await check(*args)
        except BaseException as e:
            failed = inside(e, CheckFailed)
            if failed is None:
                raise
            raise CheckFailed(f"{name}: {failed}") from None
        seconds[name] = round(time.monotonic() - started, 2)

    for mode in MODES:
        await area(f"catalogue [{mode}]", check_catalogue, cfg, mode)
        await area(f"keys refused at connect [{mode}]", check_keys_refused, cfg, mode)
        await area(f"connections [{mode}]", check_connections, cfg, sim, mode)
        await area(f"reads [{mode}]", check_reads, cfg, sim, mode)
        await area(f"writes [{mode}]", check_writes, cfg, sim, mode)
        await area(f"tool refusals [{mode}]", check_tool_refusals, cfg, sim, mode)
    await area("a connection revoked at Pinterest", check_revoked_connection, cfg, sim)
    await area("one refresh for many agents", check_one_refresh_for_many_agents, cfg, sim)
    await area("board privacy", check_board_privacy, cfg, sim)


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print("usage: mcp-check.py CONFIG.json [REPORT.json]", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    # The SDK's own warnings, said as its (e.g. a DELETE of a session answered
    # 202 where it looks for 200 or 204).
    logging.basicConfig(level=logging.WARNING, format="mcp-check: the SDK logged (%(name)s): %(message)s")
    started, seconds, failure = time.monotonic(), {}, None
    try:
        asyncio.run(run(cfg, seconds))
    except CheckFailed as e:
        failure = str(e)
    total = round(time.monotonic() - started, 2)
    if len(sys.argv) == 3:
        with open(sys.argv[2], "w") as f:
            json.dump({"calls": COUNTS.calls, "seconds": seconds, "total_seconds": total,
                       "failure": failure}, f, indent=2)
    if failure:
        print(f"mcp-check: FAILED after {total} s: {failure}", file=sys.stderr)
        return 1
    print(f"mcp-check: every check passed in {total} s ({len(seconds)} areas)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

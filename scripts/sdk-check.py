"""Checks the generated Python client (sdk/python, package pinbridge_client)
against a live pinbridge and pinterest-sim.

Run by scripts/sdk-check.sh python (in the venv scripts/sdk-tools.sh made,
with sdk/python on the import path), from server/tests/http/sdk_clients.rs:
a connect session, the connection list, a fresh token (which the simulator
accepts), a proxied call, a disconnect, and the typed problems of a revoked
connection and of a wrong key. Prints one JSON line last: what it saw, never
a key or a token (the token only as its SHA-256). Exits 1 on the first
failed check, saying which.

Environment: PINBRIDGE_SDK_BASE_URL (.../v1), PINBRIDGE_SDK_API_KEY,
PINBRIDGE_SDK_CONNECTION_ID, PINBRIDGE_SDK_END_USER_ID, PINBRIDGE_SDK_USERNAME,
PINBRIDGE_SDK_SIM_URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Any

import httpx
from pinbridge_client import AuthenticatedClient
from pinbridge_client.api.connect import create_connect_session
from pinbridge_client.api.connections import disconnect, get_connection, list_connections
from pinbridge_client.api.pinterest_proxy import pinterest_get
from pinbridge_client.api.tokens import access_token
from pinbridge_client.models import (
    AccessToken,
    AccessTokenRequest,
    Connection,
    ConnectionList,
    ConnectionState,
    ConnectSession,
    NewConnectSession,
    Problem,
)
from pinbridge_client.types import UNSET

PROBLEM = "urn:pinbridge:problem:"


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"sdk-check: {name} is not set")
    return value


def check(ok: bool, what: str) -> None:
    if not ok:
        print(f"sdk-check (python): check failed: {what}", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    base_url = env("PINBRIDGE_SDK_BASE_URL")
    api_key = env("PINBRIDGE_SDK_API_KEY")
    connection_id = env("PINBRIDGE_SDK_CONNECTION_ID")
    end_user_id = env("PINBRIDGE_SDK_END_USER_ID")
    sim_url = env("PINBRIDGE_SDK_SIM_URL")

    # No proxy: only 127.0.0.1 is ever contacted.
    api = AuthenticatedClient(base_url=base_url, token=api_key, httpx_args={"trust_env": False})
    report: dict[str, Any] = {"client": "python"}

    # 1. A connect session for a new end user.
    answer = create_connect_session.sync_detailed(
        client=api, body=NewConnectSession(end_user_id=f"{end_user_id}-new", display_name="New user")
    )
    session = answer.parsed
    check(
        answer.status_code == 201 and isinstance(session, ConnectSession),
        f"connect session: {answer.status_code}",
    )
    assert isinstance(session, ConnectSession)
    report["connect_session"] = {
        "url": session.url,
        "end_user_id": session.end_user_id,
        "expires_at": session.expires_at,
    }

    # 2. The connection list, a page of one at a time; then filtered.
    listed: list[Connection] = []
    cursor: str | None = None
    while True:
        page = list_connections.sync(client=api, limit=1, cursor=cursor if cursor else UNSET)
        check(isinstance(page, ConnectionList), f"list: {page!r}")
        assert isinstance(page, ConnectionList)
        listed.extend(page.data)
        cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
        if not cursor:
            break
    found = next((c for c in listed if c.id == connection_id), None)
    check(found is not None, f"the connection is listed ({len(listed)} listed)")
    assert found is not None
    check(found.state is ConnectionState.ACTIVE, f"state {found.state!r} is a ConnectionState")
    filtered = list_connections.sync(client=api, end_user_id=end_user_id, state=ConnectionState.ACTIVE)
    check(isinstance(filtered, ConnectionList), f"filtered list: {filtered!r}")
    assert isinstance(filtered, ConnectionList)
    report["listed"] = {
        "id": found.id,
        "state": found.state.value,
        "username": found.account.username,
        "end_user_id": found.end_user_id,
        "total": len(listed),
        "filtered_count": len(filtered.data),
    }

    # 3. A fresh token; the simulator (Pinterest) accepts it as the account.
    token = access_token.sync(connection_id, client=api, body=AccessTokenRequest(min_valid_secs=60))
    check(isinstance(token, AccessToken), f"access token: {token!r}")
    assert isinstance(token, AccessToken)
    check(token.connection_id == connection_id, "the token's connection")
    direct = httpx.get(
        f"{sim_url}/v5/user_account",
        headers={"Authorization": f"Bearer {token.access_token}"},
        trust_env=False,
    )
    report["token"] = {
        "sha256": hashlib.sha256(token.access_token.encode()).hexdigest(),
        "token_type": token.token_type,
        "expires_in": token.expires_in,
        "username": token.account.username,
        "scopes": token.scopes,
        "sim_status": direct.status_code,
        "sim_username": direct.json().get("username") if direct.status_code == 200 else None,
    }

    # 4. A proxied call: Pinterest's user_account as the connection. Its
    # success is documented as Pinterest's answer (any body): read it as JSON.
    proxied = pinterest_get.sync_detailed(connection_id, "user_account", client=api)
    body = json.loads(proxied.content) if proxied.status_code == 200 else {}
    boards = pinterest_get.sync_detailed(connection_id, "boards", client=api)
    check(boards.status_code == 200, f"boards: {boards.status_code}")
    board = json.loads(boards.content)["items"][0]["id"]
    # The generated function percent-encodes `path` whole (its slashes too),
    # which pinbridge refuses: a path of several segments goes through the
    # client's own httpx client (base URL and key already set).
    pins = api.get_httpx_client().get(f"/connections/{connection_id}/pinterest/boards/{board}/pins")
    check(pins.status_code == 200, f"a board's pins: {pins.status_code}")
    report["proxy"] = {
        "status": int(proxied.status_code),
        "username": body.get("username"),
        "board_pins": len(pins.json()["items"]),
    }

    # 5. Disconnect it; its token is then refused with a typed problem.
    gone = disconnect.sync(connection_id, client=api)
    check(isinstance(gone, Connection), f"disconnect: {gone!r}")
    assert isinstance(gone, Connection)
    report["disconnected"] = {"state": gone.state.value}
    refused = access_token.sync_detailed(connection_id, client=api, body=AccessTokenRequest())
    problem = refused.parsed
    check(isinstance(problem, Problem), f"a revoked connection's token: {refused.status_code} {problem!r}")
    assert isinstance(problem, Problem)
    report["revoked_error"] = {
        "typed": isinstance(problem, Problem)
        and refused.headers.get("content-type") == "application/problem+json"
        and problem.type_.startswith(PROBLEM),
        "status": problem.status,
        "type": problem.type_,
        "state": problem.state if isinstance(problem.state, str) else None,
        "http_status": int(refused.status_code),
    }

    # 6. A wrong key: the typed 401.
    stranger = AuthenticatedClient(
        base_url=base_url, token="pinbridge_not_a_real_key", httpx_args={"trust_env": False}
    )
    refused = get_connection.sync_detailed(connection_id, client=stranger)
    problem = refused.parsed
    check(isinstance(problem, Problem), f"a wrong key: {refused.status_code} {problem!r}")
    assert isinstance(problem, Problem)
    report["unauthorized_error"] = {
        "typed": isinstance(problem, Problem) and "www-authenticate" in refused.headers,
        "status": problem.status,
        "type": problem.type_,
    }

    print(json.dumps(report))


if __name__ == "__main__":
    main()

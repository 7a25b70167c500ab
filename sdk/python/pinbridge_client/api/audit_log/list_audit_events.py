from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_log_page import AuditLogPage
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    since: str | Unset = UNSET,
    until: str | Unset = UNSET,
    actor: str | Unset = UNSET,
    action: str | Unset = UNSET,
    environment_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["since"] = since

    params["until"] = until

    params["actor"] = actor

    params["action"] = action

    params["environment_id"] = environment_id

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/audit-events",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> AuditLogPage | Problem | None:
    if response.status_code == 200:
        response_200 = AuditLogPage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[AuditLogPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    since: str | Unset = UNSET,
    until: str | Unset = UNSET,
    actor: str | Unset = UNSET,
    action: str | Unset = UNSET,
    environment_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Response[AuditLogPage | Problem]:
    """List audit records

     The audit log, oldest first in the order of the workspace's hash chain.
    With an environment's API key (permission `audit:read`): that
    environment's records. With a workspace key (`pinbridge_ws_…`, made by an
    owner on the portal's Audit log page): every record of the workspace,
    its own (members, sign-ins) included. Page with `cursor`; keep the last
    `next_cursor` and ask with it later for what was written since: a record
    that commits late never lands before one already read. Workspace keys may
    make 600 requests a minute.

    Args:
        since (str | Unset):
        until (str | Unset):
        actor (str | Unset):
        action (str | Unset):
        environment_id (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditLogPage | Problem]
    """

    kwargs = _get_kwargs(
        since=since,
        until=until,
        actor=actor,
        action=action,
        environment_id=environment_id,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    since: str | Unset = UNSET,
    until: str | Unset = UNSET,
    actor: str | Unset = UNSET,
    action: str | Unset = UNSET,
    environment_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> AuditLogPage | Problem | None:
    """List audit records

     The audit log, oldest first in the order of the workspace's hash chain.
    With an environment's API key (permission `audit:read`): that
    environment's records. With a workspace key (`pinbridge_ws_…`, made by an
    owner on the portal's Audit log page): every record of the workspace,
    its own (members, sign-ins) included. Page with `cursor`; keep the last
    `next_cursor` and ask with it later for what was written since: a record
    that commits late never lands before one already read. Workspace keys may
    make 600 requests a minute.

    Args:
        since (str | Unset):
        until (str | Unset):
        actor (str | Unset):
        action (str | Unset):
        environment_id (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditLogPage | Problem
    """

    return sync_detailed(
        client=client,
        since=since,
        until=until,
        actor=actor,
        action=action,
        environment_id=environment_id,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    since: str | Unset = UNSET,
    until: str | Unset = UNSET,
    actor: str | Unset = UNSET,
    action: str | Unset = UNSET,
    environment_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> Response[AuditLogPage | Problem]:
    """List audit records

     The audit log, oldest first in the order of the workspace's hash chain.
    With an environment's API key (permission `audit:read`): that
    environment's records. With a workspace key (`pinbridge_ws_…`, made by an
    owner on the portal's Audit log page): every record of the workspace,
    its own (members, sign-ins) included. Page with `cursor`; keep the last
    `next_cursor` and ask with it later for what was written since: a record
    that commits late never lands before one already read. Workspace keys may
    make 600 requests a minute.

    Args:
        since (str | Unset):
        until (str | Unset):
        actor (str | Unset):
        action (str | Unset):
        environment_id (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditLogPage | Problem]
    """

    kwargs = _get_kwargs(
        since=since,
        until=until,
        actor=actor,
        action=action,
        environment_id=environment_id,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    since: str | Unset = UNSET,
    until: str | Unset = UNSET,
    actor: str | Unset = UNSET,
    action: str | Unset = UNSET,
    environment_id: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
) -> AuditLogPage | Problem | None:
    """List audit records

     The audit log, oldest first in the order of the workspace's hash chain.
    With an environment's API key (permission `audit:read`): that
    environment's records. With a workspace key (`pinbridge_ws_…`, made by an
    owner on the portal's Audit log page): every record of the workspace,
    its own (members, sign-ins) included. Page with `cursor`; keep the last
    `next_cursor` and ask with it later for what was written since: a record
    that commits late never lands before one already read. Workspace keys may
    make 600 requests a minute.

    Args:
        since (str | Unset):
        until (str | Unset):
        actor (str | Unset):
        action (str | Unset):
        environment_id (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditLogPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            since=since,
            until=until,
            actor=actor,
            action=action,
            environment_id=environment_id,
            limit=limit,
            cursor=cursor,
        )
    ).parsed

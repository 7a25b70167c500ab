from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.connect_session import ConnectSession
from ...models.new_connect_session import NewConnectSession
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: NewConnectSession,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/connect-sessions",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConnectSession | Problem | None:
    if response.status_code == 201:
        response_201 = ConnectSession.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ConnectSession | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: NewConnectSession,
) -> Response[ConnectSession | Problem]:
    """Create a connect session

     A link for one end user to connect their Pinterest account. Hand them its
    `url`; after Pinterest they return to `return_url` (with
    `status=connected&connection_id=…`) or see pinbridge's result page.

    Args:
        body (NewConnectSession): What a connect session is for: one end user, and where they go
            afterwards.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectSession | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: NewConnectSession,
) -> ConnectSession | Problem | None:
    """Create a connect session

     A link for one end user to connect their Pinterest account. Hand them its
    `url`; after Pinterest they return to `return_url` (with
    `status=connected&connection_id=…`) or see pinbridge's result page.

    Args:
        body (NewConnectSession): What a connect session is for: one end user, and where they go
            afterwards.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectSession | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: NewConnectSession,
) -> Response[ConnectSession | Problem]:
    """Create a connect session

     A link for one end user to connect their Pinterest account. Hand them its
    `url`; after Pinterest they return to `return_url` (with
    `status=connected&connection_id=…`) or see pinbridge's result page.

    Args:
        body (NewConnectSession): What a connect session is for: one end user, and where they go
            afterwards.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectSession | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: NewConnectSession,
) -> ConnectSession | Problem | None:
    """Create a connect session

     A link for one end user to connect their Pinterest account. Hand them its
    `url`; after Pinterest they return to `return_url` (with
    `status=connected&connection_id=…`) or see pinbridge's result page.

    Args:
        body (NewConnectSession): What a connect session is for: one end user, and where they go
            afterwards.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectSession | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed

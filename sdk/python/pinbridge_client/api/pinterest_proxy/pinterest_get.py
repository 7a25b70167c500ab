from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.pinterest_error import PinterestError
from ...types import Response


def _get_kwargs(
    id: str,
    path: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/connections/{id}/pinterest/{path}".format(
            id=quote(str(id), safe=""),
            path=quote(str(path), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | PinterestError:
    if response.status_code == 401:
        response_401 = PinterestError.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = PinterestError.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = PinterestError.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = PinterestError.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = PinterestError.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = PinterestError.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = PinterestError.from_dict(response.json())

        return response_429

    if response.status_code == 502:
        response_502 = PinterestError.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = PinterestError.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = PinterestError.from_dict(response.json())

        return response_504

    response_default = cast(Any, None)
    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | PinterestError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    path: str,
    *,
    client: AuthenticatedClient,
) -> Response[Any | PinterestError]:
    """Call Pinterest as the connection

     Forwards the request to `<the environment's Pinterest API>/v5/{path}` with
    the connection's access token, and answers with Pinterest's status, body,
    `x-pinterest-rid` and rate-limit headers. Only `Accept`,
    `Accept-Language` and `Content-Type` are passed on. A 401 from Pinterest
    (code 2) refreshes the token once and retries. `{path}` is the part after
    `/v5/` (for example `user_account`, `boards`, `boards/{board_id}/pins`): plain
    segments only; `..`, percent-encoding, `//`, `@`, `\\` and absolute URLs are
    refused with 422 before Pinterest is called.

    Args:
        id (str):
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | PinterestError]
    """

    kwargs = _get_kwargs(
        id=id,
        path=path,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    path: str,
    *,
    client: AuthenticatedClient,
) -> Any | PinterestError | None:
    """Call Pinterest as the connection

     Forwards the request to `<the environment's Pinterest API>/v5/{path}` with
    the connection's access token, and answers with Pinterest's status, body,
    `x-pinterest-rid` and rate-limit headers. Only `Accept`,
    `Accept-Language` and `Content-Type` are passed on. A 401 from Pinterest
    (code 2) refreshes the token once and retries. `{path}` is the part after
    `/v5/` (for example `user_account`, `boards`, `boards/{board_id}/pins`): plain
    segments only; `..`, percent-encoding, `//`, `@`, `\\` and absolute URLs are
    refused with 422 before Pinterest is called.

    Args:
        id (str):
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | PinterestError
    """

    return sync_detailed(
        id=id,
        path=path,
        client=client,
    ).parsed


async def asyncio_detailed(
    id: str,
    path: str,
    *,
    client: AuthenticatedClient,
) -> Response[Any | PinterestError]:
    """Call Pinterest as the connection

     Forwards the request to `<the environment's Pinterest API>/v5/{path}` with
    the connection's access token, and answers with Pinterest's status, body,
    `x-pinterest-rid` and rate-limit headers. Only `Accept`,
    `Accept-Language` and `Content-Type` are passed on. A 401 from Pinterest
    (code 2) refreshes the token once and retries. `{path}` is the part after
    `/v5/` (for example `user_account`, `boards`, `boards/{board_id}/pins`): plain
    segments only; `..`, percent-encoding, `//`, `@`, `\\` and absolute URLs are
    refused with 422 before Pinterest is called.

    Args:
        id (str):
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | PinterestError]
    """

    kwargs = _get_kwargs(
        id=id,
        path=path,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    path: str,
    *,
    client: AuthenticatedClient,
) -> Any | PinterestError | None:
    """Call Pinterest as the connection

     Forwards the request to `<the environment's Pinterest API>/v5/{path}` with
    the connection's access token, and answers with Pinterest's status, body,
    `x-pinterest-rid` and rate-limit headers. Only `Accept`,
    `Accept-Language` and `Content-Type` are passed on. A 401 from Pinterest
    (code 2) refreshes the token once and retries. `{path}` is the part after
    `/v5/` (for example `user_account`, `boards`, `boards/{board_id}/pins`): plain
    segments only; `..`, percent-encoding, `//`, `@`, `\\` and absolute URLs are
    refused with 422 before Pinterest is called.

    Args:
        id (str):
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | PinterestError
    """

    return (
        await asyncio_detailed(
            id=id,
            path=path,
            client=client,
        )
    ).parsed

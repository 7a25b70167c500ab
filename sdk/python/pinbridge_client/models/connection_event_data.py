from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.webhook_connection import WebhookConnection


T = TypeVar("T", bound="ConnectionEventData")


@_attrs_define
class ConnectionEventData:
    """The data of `connection.created`, `connection.reauthorized` and
    `connection.disconnected`: the connection alone.

        Attributes:
            connection (WebhookConnection): The connection an event is about, as it is after the change.
    """

    connection: WebhookConnection

    def to_dict(self) -> dict[str, Any]:
        connection = self.connection.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "connection": connection,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.webhook_connection import WebhookConnection  # noqa: PLC0415

        d = dict(src_dict)
        connection = WebhookConnection.from_dict(d.pop("connection"))

        connection_event_data = cls(
            connection=connection,
        )

        return connection_event_data

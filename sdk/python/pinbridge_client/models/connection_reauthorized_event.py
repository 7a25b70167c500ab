from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.connection_reauthorized_event_type import ConnectionReauthorizedEventType

if TYPE_CHECKING:
    from ..models.connection_event_data import ConnectionEventData
    from ..models.webhook_environment import WebhookEnvironment


T = TypeVar("T", bound="ConnectionReauthorizedEvent")


@_attrs_define
class ConnectionReauthorizedEvent:
    """`connection.reauthorized`: an end user who was connected authorized
    again; the connection keeps its id. When this changed its state or its
    account, `connection.state_changed` or `connection.account_changed` follows.

        Attributes:
            data (ConnectionEventData): The data of `connection.created`, `connection.reauthorized` and
                `connection.disconnected`: the connection alone.
            environment (WebhookEnvironment): The environment an event happened in.
            id (UUID): The event's id, sent as the `webhook-id` header too: the same
                on every attempt, so deduplicate by it.
            timestamp (datetime.datetime): When it happened (RFC 3339, UTC).
            type_ (ConnectionReauthorizedEventType):
    """

    data: ConnectionEventData
    environment: WebhookEnvironment
    id: UUID
    timestamp: datetime.datetime
    type_: ConnectionReauthorizedEventType

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        environment = self.environment.to_dict()

        id = str(self.id)

        timestamp = self.timestamp.isoformat()

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "data": data,
                "environment": environment,
                "id": id,
                "timestamp": timestamp,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.connection_event_data import ConnectionEventData  # noqa: PLC0415
        from ..models.webhook_environment import WebhookEnvironment  # noqa: PLC0415

        d = dict(src_dict)
        data = ConnectionEventData.from_dict(d.pop("data"))

        environment = WebhookEnvironment.from_dict(d.pop("environment"))

        id = UUID(d.pop("id"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = ConnectionReauthorizedEventType(d.pop("type"))

        connection_reauthorized_event = cls(
            data=data,
            environment=environment,
            id=id,
            timestamp=timestamp,
            type_=type_,
        )

        return connection_reauthorized_event

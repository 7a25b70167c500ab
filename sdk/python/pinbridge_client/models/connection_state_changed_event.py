from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.connection_state_changed_event_type import ConnectionStateChangedEventType

if TYPE_CHECKING:
    from ..models.state_changed_data import StateChangedData
    from ..models.webhook_environment import WebhookEnvironment


T = TypeVar("T", bound="ConnectionStateChangedEvent")


@_attrs_define
class ConnectionStateChangedEvent:
    """`connection.state_changed`: the connection's state changed (a refresh or
    a health probe found it broken, or it recovered to `active`).

        Attributes:
            data (StateChangedData): The data of `connection.state_changed`.
            environment (WebhookEnvironment): The environment an event happened in.
            id (UUID): The event's id, sent as the `webhook-id` header too: the same
                on every attempt, so deduplicate by it.
            timestamp (datetime.datetime): When it happened (RFC 3339, UTC).
            type_ (ConnectionStateChangedEventType):
    """

    data: StateChangedData
    environment: WebhookEnvironment
    id: UUID
    timestamp: datetime.datetime
    type_: ConnectionStateChangedEventType

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
        from ..models.state_changed_data import StateChangedData  # noqa: PLC0415
        from ..models.webhook_environment import WebhookEnvironment  # noqa: PLC0415

        d = dict(src_dict)
        data = StateChangedData.from_dict(d.pop("data"))

        environment = WebhookEnvironment.from_dict(d.pop("environment"))

        id = UUID(d.pop("id"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = ConnectionStateChangedEventType(d.pop("type"))

        connection_state_changed_event = cls(
            data=data,
            environment=environment,
            id=id,
            timestamp=timestamp,
            type_=type_,
        )

        return connection_state_changed_event

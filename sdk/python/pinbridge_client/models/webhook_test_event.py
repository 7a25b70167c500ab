from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.webhook_test_event_type import WebhookTestEventType

if TYPE_CHECKING:
    from ..models.webhook_environment import WebhookEnvironment
    from ..models.webhook_test_data import WebhookTestData


T = TypeVar("T", bound="WebhookTestEvent")


@_attrs_define
class WebhookTestEvent:
    """`webhook.test`: sent by the portal's "Send test event" to one endpoint;
    no endpoint subscribes to it.

        Attributes:
            data (WebhookTestData): The data of `webhook.test`.
            environment (WebhookEnvironment): The environment an event happened in.
            id (UUID): The event's id, sent as the `webhook-id` header too: the same
                on every attempt, so deduplicate by it.
            timestamp (datetime.datetime): When it happened (RFC 3339, UTC).
            type_ (WebhookTestEventType):
    """

    data: WebhookTestData
    environment: WebhookEnvironment
    id: UUID
    timestamp: datetime.datetime
    type_: WebhookTestEventType

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
        from ..models.webhook_environment import WebhookEnvironment  # noqa: PLC0415
        from ..models.webhook_test_data import WebhookTestData  # noqa: PLC0415

        d = dict(src_dict)
        data = WebhookTestData.from_dict(d.pop("data"))

        environment = WebhookEnvironment.from_dict(d.pop("environment"))

        id = UUID(d.pop("id"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = WebhookTestEventType(d.pop("type"))

        webhook_test_event = cls(
            data=data,
            environment=environment,
            id=id,
            timestamp=timestamp,
            type_=type_,
        )

        return webhook_test_event
